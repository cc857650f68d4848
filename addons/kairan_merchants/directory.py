"""``IMerchantDirectory``: what other add-ons (the points wallet) may know about shops.

Registered as a utility in ``includeme``; other add-ons look it up in the registry
and get frozen records (``MerchantInfo``, ``BranchInfo``, ``ScanResult``), never
this add-on's database rows.
"""

import functools
from types import SimpleNamespace

from pyramid.authorization import Allow
from sqlalchemy import bindparam, select
from zope.interface import implementer

from kairan.security.permissions import SiteRoot
from kairan_merchants import qr
from kairan_merchants.interfaces import (
    MERCHANT_PERMISSION,
    BranchInfo,
    IMerchantDirectory,
    MerchantInfo,
    ScanResult,
)
from kairan_merchants.models import Merchant, MerchantBranch, MerchantStaff
from kairan_merchants.services import CATEGORIES, branch_payload, staff_merchant_ids


def merchant_info(merchant) -> MerchantInfo:
    return MerchantInfo(
        id=merchant.id, name=merchant.name, name_en=merchant.name_en,
        legal_name=merchant.legal_name, category=merchant.category,
        programmes=tuple(merchant.programmes or ()), status=merchant.status,
        status_reason=merchant.status_reason or "",
        can_take_payments=merchant.status == "active")


def branch_info(branch) -> BranchInfo:
    return BranchInfo(
        id=branch.id, merchant_id=branch.merchant_id, name=branch.name,
        postal_code=branch.postal_code, address=branch.address, area=branch.area,
        phone=branch.phone, qr_version=branch.qr_version, name_en=branch.name_en or "",
        closed=branch.closed_at is not None)


class MerchantResource:
    """The context of a route about one merchant: its staff hold ``merchants.own``."""

    __name__ = "merchant"

    def __init__(self, request, merchant_id, merchant=None, info=None):
        self.__parent__ = SiteRoot(request)
        self.merchant_id = merchant_id
        self.row = merchant
        self.merchant = info
        staff = staff_user_ids(request.dbsession, merchant_id) if merchant is not None else []
        self.__acl__ = [(Allow, f"user:{user_id}", MERCHANT_PERMISSION) for user_id in staff]


def staff_user_ids(dbsession, merchant_id) -> list[int]:
    return list(dbsession.scalars(
        select(MerchantStaff.user_id).where(MerchantStaff.merchant_id == merchant_id)))


@implementer(IMerchantDirectory)
class MerchantDirectory:
    def get_merchant(self, request, merchant_id):
        merchant = request.dbsession.get(Merchant, merchant_id) if _is_id(merchant_id) else None
        return merchant_info(merchant) if merchant is not None else None

    def get_branch(self, request, branch_id):
        branch = request.dbsession.get(MerchantBranch, branch_id) if _is_id(branch_id) else None
        return branch_info(branch) if branch is not None else None

    def branches_of(self, request, merchant_id):
        if not _is_id(merchant_id):
            return []
        return [branch_info(b) for b in request.dbsession.scalars(
            select(MerchantBranch).where(MerchantBranch.merchant_id == merchant_id)
            .order_by(MerchantBranch.id))]

    def verify_payload(self, request, payload):
        found = qr.verify(request.registry.settings["kairan.secret"], payload)
        if found is None:
            return None
        branch_id, version = found
        # the branch and its merchant in one Core statement (every payment asks: loading
        # ORM objects cost more CPU than the query)
        row = request.dbsession.execute(_scan_statement(), {"branch_id": branch_id}).first()
        if row is None or row.qr_version != version:
            return None
        mapping = row._mapping
        merchant = merchant_info(SimpleNamespace(**{
            key[2:]: value for key, value in mapping.items() if key.startswith("m_")}))
        info = branch_info(SimpleNamespace(**{
            key: value for key, value in mapping.items() if not key.startswith("m_")}))
        return ScanResult(branch=info, merchant=merchant,
                          can_take_payments=merchant.can_take_payments and not info.closed)

    def payload_for(self, request, branch_id):
        branch = request.dbsession.get(MerchantBranch, branch_id) if _is_id(branch_id) else None
        return branch_payload(request.registry.settings, branch) if branch is not None else None

    def merchants_of_user(self, request, user_id):
        ids = staff_merchant_ids(request.dbsession, user_id)
        return [merchant_info(request.dbsession.get(Merchant, i)) for i in ids]

    def is_staff(self, request, merchant_id, user_id):
        return (_is_id(merchant_id) and _is_id(user_id)
                and request.dbsession.get(MerchantStaff, (merchant_id, user_id)) is not None)

    def context_for(self, request, merchant_id):
        merchant = request.dbsession.get(Merchant, merchant_id) if _is_id(merchant_id) else None
        info = merchant_info(merchant) if merchant is not None else None
        return MerchantResource(request, merchant_id, merchant, info)

    def categories(self, request):
        translate = request.localizer.translate
        return [(code, translate(title)) for code, title in CATEGORIES]

    def programmes(self, request):
        locale = request.locale_name
        return [(p.code, p.label(locale))
                for p in request.registry.settings["kairan.merchants.programme_list"]]


@functools.cache
def _scan_statement():
    """``verify_payload``'s statement, built once: every column ``branch_info`` reads,
    and every column ``merchant_info`` reads prefixed ``m_``."""
    branch, merchant = MerchantBranch.__table__, Merchant.__table__
    merchant_columns = ("id", "name", "name_en", "legal_name", "category", "programmes",
                        "status", "status_reason")
    branch_columns = ("id", "merchant_id", "name", "postal_code", "address", "area", "phone",
                      "qr_version", "name_en", "closed_at")
    return (select(*(branch.c[name] for name in branch_columns),
                   *(merchant.c[name].label("m_" + name) for name in merchant_columns))
            .join(merchant, merchant.c.id == branch.c.merchant_id)
            .where(branch.c.id == bindparam("branch_id")))


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31
