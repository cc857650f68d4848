"""Exporters of the campaign tables. Personal data is limited to user ids, as in the
ledger's exporters; a campaign's seed is exported only once the draw revealed it."""

from sqlalchemy import select

from kairan.export.services import Exporter
from kairan.i18n.translation import _
from kairan_points.campaigns.models import Application, Campaign
from kairan_points.models import Programme


class _Table(Exporter):
    query = None

    def rows(self, request):
        for row in request.dbsession.execute(self.query().execution_options(yield_per=500)):
            yield tuple(row)


class CampaignsExporter(_Table):
    name = "points_campaigns"
    title = _("Points: campaigns")

    def columns(self, request):
        return [("campaign_id", _("Campaign")), ("code", _("Code")), ("title", _("Title")),
                ("programme", _("Programme")), ("points", _("Points")),
                ("capacity", _("Winners")), ("opens_at", _("Applications open")),
                ("closes_at", _("Applications close")), ("min_level", _("Minimum level")),
                ("excluded_campaign_id", _("Excluded campaign")),
                ("accept_days", _("Days to accept")), ("seed_hash", _("Seed SHA-256")),
                ("seed", _("Revealed seed")), ("result_hash", _("Result SHA-256")),
                ("drawn_at", _("Drawn at"))]

    def query(self):
        return (select(Campaign.id, Campaign.code, Campaign.title, Programme.code,
                       Campaign.points, Campaign.capacity, Campaign.opens_at,
                       Campaign.closes_at, Campaign.min_level, Campaign.excluded_campaign_id,
                       Campaign.accept_days, Campaign.seed_hash, Campaign.seed,
                       Campaign.result_hash, Campaign.drawn_at)
                .join(Programme, Programme.id == Campaign.programme_id).order_by(Campaign.id))


class ApplicationsExporter(_Table):
    name = "points_campaign_applications"
    title = _("Points: campaign applications")

    def columns(self, request):
        return [("application_id", _("Application")), ("campaign_id", _("Campaign")),
                ("user_id", _("User ID")), ("level", _("Identity level")),
                ("applied_at", _("Applied at")), ("status", _("Status")), ("rank", _("Rank")),
                ("offered_at", _("Offered at")), ("accept_by", _("Accept by")),
                ("decided_at", _("Decided at")), ("transfer_id", _("Transfer"))]

    def query(self):
        return (select(Application.id, Application.campaign_id, Application.user_id,
                       Application.level, Application.applied_at, Application.status,
                       Application.rank, Application.offered_at, Application.accept_by,
                       Application.decided_at, Application.transfer_id)
                .order_by(Application.id))


EXPORTERS = (CampaignsExporter(), ApplicationsExporter())
