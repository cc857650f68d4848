"""The dashboard tile: the resident's points per programme and what expires next."""

from kairan.dashboard.services import DashboardTile
from kairan.i18n.translation import _
from kairan_points import services


class PointsTile(DashboardTile):
    name = "points"
    title = _("My points")
    order = 20
    template = "kairan_points:templates/tile.pt"

    def values(self, request):
        locale = request.localizer.locale_name
        wallets = []
        for view in services.wallets_of(request.dbsession, request.user.id):
            first = view.lots[0] if view.lots else None
            expiry = services.display_expiry(first[1]) if first else None
            wallets.append({
                "programme": view.programme.localized_name(locale),
                "balance": f"{view.spendable:,}",
                "next_points": f"{first[0]:,}" if expiry else None,
                "next_expiry": f"{expiry:%Y-%m-%d}" if expiry else None,
            })
        return {"wallets": wallets}
