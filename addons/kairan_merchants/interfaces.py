"""What other add-ons may rely on about merchants, without importing this add-on's classes.

The points add-on finds the directory through the registry::

    directory = request.registry.getUtility(IMerchantDirectory)
    scan = directory.verify_payload(request, scanned_text)
    if scan is None or not scan.can_take_payments:
        ...  # refuse the payment

The values returned are the plain, frozen records below (``MerchantInfo``,
``BranchInfo``, ``ScanResult``): copies, never database rows, so a caller
cannot change a merchant through them.
"""

from dataclasses import dataclass

from zope.interface import Interface


@dataclass(frozen=True)
class MerchantInfo:
    id: int
    name: str
    name_en: str
    legal_name: str
    category: str  # a code of ``IMerchantDirectory.categories``
    programmes: tuple  # programme codes (kairan.merchants.programmes)
    status: str  # "active" or "suspended"
    status_reason: str  # why it is suspended; "" when active
    can_take_payments: bool  # active; a suspended merchant cannot take payments


@dataclass(frozen=True)
class BranchInfo:
    id: int
    merchant_id: int
    name: str
    postal_code: str
    address: str
    area: str  # an area code (kairan.merchants.areas)
    phone: str
    qr_version: int  # raised by each rotation; older codes stop working
    name_en: str = ""  # the English name; "" when none was given (show ``name``)
    closed: bool = False  # closed for good: not in the directory, takes no payments


@dataclass(frozen=True)
class ScanResult:
    branch: BranchInfo
    merchant: MerchantInfo
    can_take_payments: bool  # the merchant is active and the branch is not closed


class IMerchantDirectory(Interface):
    """The merchants registered for the city's point programmes (a registry utility)."""

    def get_merchant(request, merchant_id):
        """The ``MerchantInfo`` of ``merchant_id``, or None if there is none."""

    def get_branch(request, branch_id):
        """The ``BranchInfo`` of ``branch_id``, or None if there is none."""

    def branches_of(request, merchant_id):
        """Every ``BranchInfo`` of the merchant, by id (empty if there is no such merchant)."""

    def verify_payload(request, payload):
        """The ``ScanResult`` of a scanned QR code's text, or None.

        None when the text is not a code of this site, its signature does not
        match (forged, or altered into another branch's code), the branch does
        not exist, or the code was rotated since (its version is not the
        branch's current one). A suspended merchant's valid code, or a closed
        branch's (``branch.closed``), returns a result with ``can_take_payments``
        False. Never raises on bad input.
        """

    def payload_for(request, branch_id):
        """The signed payload text of the branch's current code, or None."""

    def merchants_of_user(request, user_id):
        """The ``MerchantInfo`` of every merchant ``user_id`` is staff of, by id."""

    def is_staff(request, merchant_id, user_id):
        """True if ``user_id`` is recorded as staff of ``merchant_id``."""

    def context_for(request, merchant_id):
        """A resource for a route about one merchant (e.g. the points add-on's sales page
        ``/merchant/{merchant_id}/sales``): its ACL grants ``MERCHANT_PERMISSION``
        ("merchants.own") to the merchant's staff (Managers hold every permission).
        Its ``merchant`` attribute is a ``MerchantInfo``, or None if there is no such
        merchant: the view then answers 404."""

    def categories(request):
        """``[(code, title)]`` of the business categories, titles translated for the request."""

    def programmes(request):
        """``[(code, title)]`` of the point programmes a merchant may join, for the request."""


# The permission a merchant's own pages need (granted to its staff by the context's ACL).
MERCHANT_PERMISSION = "merchants.own"
# The permission the screening pages need (granted to Operators and Managers).
SCREEN_PERMISSION = "merchants.screen"


class IMerchantPage(Interface):
    """Marker of the links on a merchant's home page (``config.add_merchant_page``)."""
