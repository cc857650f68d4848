"""The dashboard tile ``points_campaigns``: one's campaign applications and their status."""

from kairan.dashboard.services import DashboardTile
from kairan.db.meta import utcnow
from kairan.i18n.translation import _


class CampaignsTile(DashboardTile):
    name = "points_campaigns"
    title = _("My campaign applications")
    order = 21
    template = "kairan_points:templates/campaigns/tile.pt"

    def values(self, request):
        from kairan_points.campaigns import services
        from kairan_points.campaigns.views import status_text

        now = utcnow()
        locale = request.localizer.locale_name
        translate = request.localizer.translate
        return {"applications": [{
            "title": campaign.localized_title(locale),
            "status": translate(status_text(request.dbsession, application, now)),
        } for application, campaign in services.applications_of(request.dbsession,
                                                                 request.user.id)[:5]]}
