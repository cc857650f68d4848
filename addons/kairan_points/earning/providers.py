"""The ``points_earning`` section of "download my data": check-ins, awards, reminders."""

from sqlalchemy import select
from zope.interface import implementer

from kairan.accounts.interfaces import IPersonalDataProvider
from kairan_points.earning.models import Activity, Award, CheckIn, Reminder
from kairan_points.models import Programme


def _iso(value):
    return value.isoformat() if value is not None else None


@implementer(IPersonalDataProvider)
class EarningData:
    name = "points_earning"

    def export(self, request, user):
        dbsession = request.dbsession
        checkins = dbsession.execute(
            select(CheckIn, Activity).join(Activity, Activity.id == CheckIn.activity_id)
            .where(CheckIn.user_id == user.id).order_by(CheckIn.id)).all()
        awards = dbsession.execute(
            select(Award, Programme.code).join(Programme, Programme.id == Award.programme_id)
            .where(Award.user_id == user.id).order_by(Award.id)).all()
        reminders = dbsession.scalars(select(Reminder).where(Reminder.user_id == user.id)
                                      .order_by(Reminder.id))
        return {
            "checkins": [{"activity": activity.title, "place": activity.place,
                          "at": _iso(checkin.at)} for checkin, activity in checkins],
            "awards": [{"rule": award.rule, "programme": code, "requested": award.requested,
                        "points": award.points, "status": award.status,
                        "limit": award.limit, "at": _iso(award.created)}
                       for award, code in awards],
            "expiry_reminders": [{"lot": reminder.lot_id, "sent_at": _iso(reminder.sent_at)}
                                 for reminder in reminders],
        }
