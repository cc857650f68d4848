"""Earning points: rules that award points for events, community-activity check-ins,
expiry reminders.

- ``config.add_points_rule(EventClass, rule)`` (see ``kairan_points.interfaces``);
  ``kairan_points.earning.publish(request, event)`` or ``registry.notify(event)``.
- Built-in rule ``community-activity``: ``ActivityCheckedIn`` pays the activity's points.
- Role ``ActivityOrganiser`` (``config.add_role``) with the permission
  ``points.organise``, which operators and managers have too.
- Routes: ``/points/checkin`` (residents), ``/manage/points/activities`` (organisers).
- Exporters ``points_awards``, ``points_activities``, ``points_checkins``,
  ``points_reminders``; the personal data section ``points_earning``; the
  account page links to the check-in form.
- Setting ``kairan.points.remind_days`` (default 14): ``kairan points remind``.
"""

ORGANISER_ROLE = "ActivityOrganiser"
ORGANISE = "points.organise"


def publish(request, event, now=None):
    """Run the points rules registered for ``event`` (see ``kairan_points.interfaces``)."""
    from kairan_points.earning.services import publish as run

    return run(request, event, now=now)


class ActivityManagement:
    """The context of the organisers' pages: organisers, operators and managers organise."""

    __name__ = ""
    __parent__ = None

    def __init__(self, request=None):
        from pyramid.authorization import Allow

        from kairan.security.permissions import SITE_ACL, Role, role_principal

        self.request = request
        self.__acl__ = [(Allow, role_principal(ORGANISER_ROLE), ORGANISE),
                        (Allow, role_principal(Role.OPERATOR), ORGANISE),
                        (Allow, role_principal(Role.MANAGER), ORGANISE), *SITE_ACL]


def includeme(config):
    from kairan.i18n.translation import _
    from kairan_points.earning.exporters import EXPORTERS
    from kairan_points.earning.providers import EarningData
    from kairan_points.earning.services import ActivityCheckedIn, CheckInRule, add_points_rule
    from kairan_points.settings import read_whole_numbers

    read_whole_numbers(config.get_settings(), {"kairan.points.remind_days": "14"},
                       maximums={"kairan.points.remind_days": 365})

    config.add_translation_dirs("kairan_points:earning/locale")
    config.add_directive("add_points_rule", add_points_rule)
    config.add_points_rule(ActivityCheckedIn, CheckInRule())
    config.add_role(ORGANISER_ROLE, "地域活動の主催者 (ActivityOrganiser)")
    config.add_route("points.checkin", "/points/checkin")
    config.add_route("points.activities", "/manage/points/activities",
                     factory=ActivityManagement)
    config.add_route("points.activity_add", "/manage/points/activities/new",
                     factory=ActivityManagement)
    config.add_route("points.activity", "/manage/points/activities/{id:\\d+}",
                     factory=ActivityManagement)
    config.add_account_link("points.checkin", "points.checkin", _("Check in at an activity"),
                            order=60)
    for exporter in EXPORTERS:
        config.add_exporter(exporter)
    config.add_personal_data_provider(EarningData())
    config.scan("kairan_points.earning.views")
