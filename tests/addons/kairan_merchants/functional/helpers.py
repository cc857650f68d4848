"""Merchants made directly in the database, for tests about what comes after approval."""

from kairan_merchants.models import Merchant, MerchantBranch, MerchantStaff

from kairan.db.meta import utcnow


def make_merchant(dbsession, staff_user=None, name="回覧板マート", branch="回覧板マート 中央店",
                  category="supermarket", area="chuo", programmes=("regional2025",),
                  legal_name=None, contact_email="contact@example.jp"):
    now = utcnow()
    merchant = Merchant(legal_name=legal_name or f"株式会社{name}", name=name, name_en="",
                        category=category, programmes=list(programmes), status="active",
                        status_reason="", contact_name="担当 一郎", contact_email=contact_email,
                        contact_phone="0222111111", created=now)
    merchant.branches = [MerchantBranch(name=branch, postal_code="980-0001",
                                        address=f"回覧板市{branch}1-1", area=area,
                                        phone="022-211-1111", hours="9:00〜21:00",
                                        qr_version=1, created=now)]
    dbsession.add(merchant)
    dbsession.flush()
    if staff_user is not None:
        dbsession.add(MerchantStaff(merchant_id=merchant.id, user_id=staff_user.id, created=now))
    dbsession.commit()
    return merchant
