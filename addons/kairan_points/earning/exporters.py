"""Exporters of the earning tables: awards, activities, check-ins, reminders sent.

Personal data is limited to user ids, as in the ledger's exporters.
"""

from sqlalchemy import select

from kairan.export.services import Exporter
from kairan.i18n.translation import _
from kairan_points.earning.models import Activity, Award, CheckIn, Reminder
from kairan_points.models import Programme


class _Table(Exporter):
    query = None

    def rows(self, request):
        for row in request.dbsession.execute(self.query().execution_options(yield_per=500)):
            yield tuple(row)


class AwardsExporter(_Table):
    name = "points_awards"
    title = _("Points: awards of earning rules")

    def columns(self, request):
        return [("award_id", _("Award")), ("created", _("Date")), ("rule", _("Rule")),
                ("event_key", _("Event")), ("user_id", _("User ID")),
                ("programme", _("Programme")), ("requested", _("Points asked")),
                ("points", _("Points")), ("status", _("Status")), ("limit", _("Limit")),
                ("day", _("Day (Japan time)")), ("transfer_id", _("Transfer"))]

    def query(self):
        return (select(Award.id, Award.created, Award.rule, Award.event_key, Award.user_id,
                       Programme.code, Award.requested, Award.points, Award.status,
                       Award.limit, Award.day, Award.transfer_id)
                .join(Programme, Programme.id == Award.programme_id).order_by(Award.id))


class ActivitiesExporter(_Table):
    name = "points_activities"
    title = _("Points: community activities")

    def columns(self, request):
        return [("activity_id", _("Activity")), ("title", _("Title (Japanese)")),
                ("title_en", _("Title (English)")), ("place", _("Place")),
                ("starts_at", _("Check-in opens")), ("ends_at", _("Check-in closes")),
                ("programme", _("Programme")), ("points", _("Points")),
                ("created_by", _("Created by user ID")), ("created", _("Date"))]

    def query(self):
        return (select(Activity.id, Activity.title, Activity.title_en, Activity.place,
                       Activity.starts_at, Activity.ends_at, Programme.code, Activity.points,
                       Activity.created_by, Activity.created)
                .join(Programme, Programme.id == Activity.programme_id).order_by(Activity.id))


class CheckInsExporter(_Table):
    name = "points_checkins"
    title = _("Points: check-ins at activities")

    def columns(self, request):
        return [("checkin_id", _("Check-in")), ("activity_id", _("Activity")),
                ("user_id", _("User ID")), ("at", _("Date"))]

    def query(self):
        return select(CheckIn.id, CheckIn.activity_id, CheckIn.user_id,
                      CheckIn.at).order_by(CheckIn.id)


class RemindersExporter(_Table):
    name = "points_reminders"
    title = _("Points: expiry reminders sent")

    def columns(self, request):
        return [("reminder_id", _("Reminder")), ("lot_id", _("Lot")), ("user_id", _("User ID")),
                ("sent_at", _("Date"))]

    def query(self):
        return select(Reminder.id, Reminder.lot_id, Reminder.user_id,
                      Reminder.sent_at).order_by(Reminder.id)


EXPORTERS = (AwardsExporter(), ActivitiesExporter(), CheckInsExporter(), RemindersExporter())
