"""The dashboard tile of merchant staff: their shops, and a suspension's reason."""

from sqlalchemy import select

from kairan.dashboard.services import DashboardTile
from kairan.i18n.translation import _
from kairan_merchants.models import Merchant, MerchantStaff


class MerchantTile(DashboardTile):
    name = "merchants.mine"
    title = _("My shop")
    order = 30
    template = "kairan_merchants:templates/tile.pt"

    def _merchants(self, request):
        user = request.user
        if user is None:
            return []
        return list(request.dbsession.scalars(
            select(Merchant).join(MerchantStaff, MerchantStaff.merchant_id == Merchant.id)
            .where(MerchantStaff.user_id == user.id).order_by(Merchant.id)))

    def is_visible(self, request):
        return bool(self._merchants(request))

    def values(self, request):
        locale = request.locale_name
        return {"merchants": [
            {"name": m.localized_name(locale), "suspended": m.status == "suspended",
             "reason": m.status_reason,
             "url": request.route_path("merchants.home", merchant_id=m.id)}
            for m in self._merchants(request)]}
