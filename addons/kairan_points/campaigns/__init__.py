"""Campaigns and lotteries: points granted to applicants chosen by a committed-seed draw.

- Tables ``points_campaigns`` and ``points_campaign_applications``
  (``kairan_points.campaigns.models``), services in ``kairan_points.campaigns.services``.
- Routes: ``/points/campaigns`` (residents: open campaigns, apply, their applications,
  accept or decline); ``/manage/points/campaigns`` (operators: create, commit a seed,
  draw with the action ``points.grant``, the ranking); the dashboard tile
  ``points_campaigns``; an account-page link; exporters ``points_campaigns`` and
  ``points_campaign_applications``.
- CLI: ``kairan points draw CAMPAIGN --seed ...`` (``--verify``, ``--promote``).
"""


def includeme(config):
    from kairan.i18n.translation import _
    from kairan_points.campaigns.exporters import EXPORTERS
    from kairan_points.campaigns.tiles import CampaignsTile
    from kairan_points.views import PointsManagement

    config.add_translation_dirs("kairan_points:campaigns/locale")
    config.add_route("points.campaigns", "/points/campaigns")
    config.add_route("points.campaign_apply", "/points/campaigns/{id:\\d+}/apply")
    config.add_route("points.campaign_accept", "/points/campaigns/{id:\\d+}/accept")
    config.add_route("points.campaign_decline", "/points/campaigns/{id:\\d+}/decline")
    manage = PointsManagement
    config.add_route("points.campaigns_manage", "/manage/points/campaigns", factory=manage)
    config.add_route("points.campaign_add", "/manage/points/campaigns/new", factory=manage)
    config.add_route("points.campaign_manage", "/manage/points/campaigns/{id:\\d+}",
                     factory=manage)
    config.add_route("points.campaign_seed", "/manage/points/campaigns/{id:\\d+}/seed",
                     factory=manage)
    config.add_route("points.campaign_draw", "/manage/points/campaigns/{id:\\d+}/draw",
                     factory=manage)
    config.add_dashboard_tile(CampaignsTile())
    config.add_account_link("points.campaigns", "points.campaigns", _("Points campaigns"),
                            order=61)
    for exporter in EXPORTERS:
        config.add_exporter(exporter)
    config.scan("kairan_points.campaigns.views")
    config.scan("kairan_points.campaigns.manage")
