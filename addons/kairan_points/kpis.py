"""KPIs of the points wallet, per Asia/Tokyo month, each one aggregate query.

- ``points.issued``: points leaving the programmes' issuing accounts (grants,
  earning rules, campaigns); a correction gives points back to the issuing
  account and is not subtracted.
- ``points.spent``: points arriving on merchants' accounts (payments).
- ``points.expired``: points moved into the programmes' expired accounts by
  ``kairan points expire``.
- ``points.refunded``: points shops gave back to residents (``refund``
  transfers out of a merchant's account).
- ``points.wallets.active``: wallets (one resident's account in one
  programme: a resident with two programmes' points has two) touched by at
  least one transfer in the month, the expiry job's excepted: earning, a
  grant or correction, a campaign win, a payment, a refund, a bridge move.
  A wallet whose only movement was its points expiring was not active.
- ``points.payments.category.<code>``: payments at shops of a merchant
  category (``IMerchantDirectory.categories``), counted in the month the
  payment was made, refunded or not. The category is the merchant's at the
  time the KPI is read. Needs the merchants add-on: without its directory
  these KPIs have no data (and never fail).

Every query filters the month range on an indexed time column in SQL and
groups by the month there; Python only reads one row per month (and per
category).
"""

from datetime import date

from sqlalchemy import column, func, literal_column, select, table

from kairan.i18n.translation import _
from kairan.kpi.services import KpiProvider, add_months
from kairan_points.models import EXPIRED, ISSUER, MERCHANT, WALLET, Account, Line, Transfer
from kairan_points.services import tokyo_midnight


def tokyo_month(dbsession, column):
    """SQL for the 'YYYY-MM' of a stored UTC time in Japan (UTC+9, no daylight saving)."""
    if dbsession.get_bind().dialect.name == "postgresql":
        return func.to_char(column + literal_column("interval '9 hours'"), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+9 hours")


def month_bounds(start_month, end_month):
    """(first instant of ``start_month``, first instant after ``end_month``), aware UTC."""
    after = add_months(end_month, 1)
    return (tokyo_midnight(date(int(start_month[:4]), int(start_month[5:7]), 1)),
            tokyo_midnight(date(int(after[:4]), int(after[5:7]), 1)))


def _per_month(request, query):
    return {month: int(value or 0) for month, value in request.dbsession.execute(query)}


def monthly_sum(request, kind, negative, start_month, end_month, reason_code=None):
    """Sum of the lines on accounts of ``kind`` per month: the debits (as positive
    numbers) if ``negative``, else the credits; only transfers of ``reason_code``
    if given."""
    first, after = month_bounds(start_month, end_month)
    month = tokyo_month(request.dbsession, Transfer.at).label("month")
    amount = -Line.amount if negative else Line.amount
    query = (
        select(month, func.sum(amount))
        .select_from(Transfer)
        .join(Line, Line.transfer_id == Transfer.id)
        .join(Account, Account.id == Line.account_id)
        .where(Account.kind == kind, Line.amount < 0 if negative else Line.amount > 0,
               Transfer.at >= first, Transfer.at < after)
        .group_by(month)
    )
    if reason_code is not None:
        query = query.where(Transfer.reason_code == reason_code)
    return _per_month(request, query)


class PointsIssued(KpiProvider):
    name = "points.issued"
    title = _("Points issued")
    unit = _("points")

    def monthly(self, request, start_month, end_month):
        return monthly_sum(request, ISSUER, True, start_month, end_month)


class PointsSpent(KpiProvider):
    name = "points.spent"
    title = _("Points spent at shops")
    unit = _("points")

    def monthly(self, request, start_month, end_month):
        return monthly_sum(request, MERCHANT, False, start_month, end_month)


class PointsExpired(KpiProvider):
    name = "points.expired"
    title = _("Points expired")
    unit = _("points")

    def monthly(self, request, start_month, end_month):
        return monthly_sum(request, EXPIRED, False, start_month, end_month)


class PointsRefunded(KpiProvider):
    name = "points.refunded"
    title = _("Points refunded by shops")
    unit = _("points")

    def monthly(self, request, start_month, end_month):
        return monthly_sum(request, MERCHANT, True, start_month, end_month,
                           reason_code="refund")


class ActiveWallets(KpiProvider):
    """Wallets with at least one transfer in the month, expiry excepted (module docstring)."""

    name = "points.wallets.active"
    title = _("Active wallets (any movement but expiry)")
    unit = _("wallets")

    def monthly(self, request, start_month, end_month):
        first, after = month_bounds(start_month, end_month)
        month = tokyo_month(request.dbsession, Transfer.at).label("month")
        query = (
            select(month, func.count(Line.account_id.distinct()))
            .select_from(Transfer)
            .join(Line, Line.transfer_id == Transfer.id)
            .join(Account, Account.id == Line.account_id)
            .where(Account.kind == WALLET, Transfer.reason_code != "expire",
                   Transfer.at >= first, Transfer.at < after)
            .group_by(month)
        )
        return _per_month(request, query)


# The merchants add-on's categories (``IMerchantDirectory.categories``), one message each:
# a translated title cannot be nested in another's mapping. A test checks the codes
# against the directory's.
CATEGORY_TITLES = {
    "supermarket": _("Payments at supermarkets"),
    "convenience_store": _("Payments at convenience stores"),
    "drugstore": _("Payments at drugstores"),
    "restaurant": _("Payments at restaurants and cafés"),
    "retail": _("Payments at other retail shops"),
    "service": _("Payments at services"),
    "lodging": _("Payments at lodgings"),
    "other": _("Payments at other shops"),
}

# The merchants add-on's table, read only (its id and category): one join instead of a
# directory look-up per merchant. Used only when that add-on's directory is registered.
_MERCHANTS = table("merchants", column("id"), column("category"))


def payments_per_category(request, start_month, end_month):
    """``{(month, category): payments}`` in one query, kept on the request: the KPI page
    asks once per category."""
    from kairan_merchants.interfaces import IMerchantDirectory

    from kairan_points.payments.models import Payment

    if request.registry.queryUtility(IMerchantDirectory) is None:
        return {}
    cache = request.__dict__.setdefault("_points_payments_per_category", {})
    if (start_month, end_month) not in cache:
        first, after = month_bounds(start_month, end_month)
        month = tokyo_month(request.dbsession, Payment.created).label("month")
        query = (
            select(month, _MERCHANTS.c.category, func.count(Payment.id))
            .select_from(Payment)
            .join(_MERCHANTS, _MERCHANTS.c.id == Payment.merchant_id)
            .where(Payment.created >= first, Payment.created < after)
            .group_by(month, _MERCHANTS.c.category)
        )
        cache[(start_month, end_month)] = {
            (row_month, category): int(count)
            for row_month, category, count in request.dbsession.execute(query)}
    return cache[(start_month, end_month)]


class PaymentsInCategory(KpiProvider):
    """Payments made at shops of the merchant category ``code`` (module docstring); one
    subclass per category (``category_kpi``), as ``KPIS`` holds classes."""

    code = ""
    unit = _("payments")

    def monthly(self, request, start_month, end_month):
        found = payments_per_category(request, start_month, end_month)
        return {month: count for (month, code), count in found.items() if code == self.code}


def category_kpi(code):
    """The ``PaymentsInCategory`` class of one category."""
    return type(f"PaymentsIn_{code}", (PaymentsInCategory,), {
        "code": code, "name": f"points.payments.category.{code}",
        "title": CATEGORY_TITLES[code]})


KPIS = (PointsIssued, PointsSpent, PointsExpired, PointsRefunded, ActiveWallets,
        *(category_kpi(code) for code in CATEGORY_TITLES))
