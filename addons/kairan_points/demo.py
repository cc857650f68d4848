"""The demo city's points: two programmes and a few points in the demo resident's wallet,
two community activities organised by the demo operator, and a campaign open for
applications.

Idempotent as the core's loader: a programme, activity or campaign that exists (by
code, or an activity by its title and organiser) is left as it is, and the grants use
fixed idempotency keys, so loading the demo twice adds nothing.
"""

from datetime import datetime, time, timedelta

from sqlalchemy import select
from zope.interface import implementer

from kairan.accounts.models import User
from kairan.demo.interfaces import IDemoLoader
from kairan.demo.services import DEMO_USERS
from kairan_points import services
from kairan_points.models import Programme


def _programmes(today):
    """(values, points for the resident): a prefecture's regional points with a fixed
    expiry, and the city's community points that expire a year after earning."""
    return (
        ({"code": "regional2025", "name": "県地域ポイント2025",
          "name_en": "Prefectural regional points 2025",
          "spend_from": today - timedelta(days=30), "spend_until": today + timedelta(days=60),
          "expiry_kind": services.EXPIRY_FIXED, "expires_on": today + timedelta(days=61),
          "categories": ["supermarket", "convenience_store", "drugstore", "restaurant"],
          "budget": 50_000_000}, 3000),
        ({"code": "community", "name": "地域活動ポイント", "name_en": "Community activity points",
          "spend_from": today - timedelta(days=30), "spend_until": today + timedelta(days=365),
          "expiry_kind": services.EXPIRY_DAYS, "expiry_days": 365,
          "categories": [], "budget": 1_000_000}, 500),
    )


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=services.TOKYO)


def _activities(today):
    """Community activities of the ``community`` programme: one open for check-in all of
    today (Japan time), one next week."""
    return (
        {"title": "回覧板市 市民一斉清掃", "title_en": "Kairan City clean-up day",
         "place": "回覧板市 中央公園", "starts_at": _at(today, 7),
         "ends_at": _at(today, 22), "points": 300},
        {"title": "地域防災訓練", "title_en": "Neighbourhood disaster drill",
         "place": "回覧板市 第一市民センター", "starts_at": _at(today + timedelta(days=7), 9),
         "ends_at": _at(today + timedelta(days=7), 12), "points": 500},
    )


def _campaign(today):
    """A campaign of the regional programme, its application window open today."""
    return {"code": "demo-spring-bonus", "title": "春の地域ポイント上乗せキャンペーン",
            "title_en": "Spring regional points bonus", "points": 2000, "capacity": 100,
            "opens_at": _at(today - timedelta(days=7), 0),
            "closes_at": _at(today + timedelta(days=22), 0),
            "min_level": 1, "excluded_campaign_id": None, "accept_days": 7}


def _user(dbsession, role):
    email = next(u.email for u in DEMO_USERS if u.role == role)
    return email, dbsession.scalar(select(User).where(User.email == email))


@implementer(IDemoLoader)
class PointsDemoLoader:
    name = "points"
    title = "points programmes"
    order = 20  # after the shops

    def load(self, dbsession, registry, today):
        resident_email, resident = _user(dbsession, "Member")
        _email, operator = _user(dbsession, "Operator")
        lines = []
        for values, points in _programmes(today):
            programme = dbsession.scalar(select(Programme).where(
                Programme.code == values["code"]))
            if programme is not None:
                continue
            programme = services.create_programme(dbsession, values)
            if resident is not None:
                # a fixed key: loading the demo twice grants once
                services.grant(dbsession, programme, resident.id, points, "デモの付与",
                               actor_id=operator.id if operator else None,
                               idempotency_key=f"demo:{values['code']}:{resident.id}")
                dbsession.flush()
            lines.append(f"points: {values['name']} ({points} points for {resident_email})")
        lines += self._activities(dbsession, today, operator)
        lines += self._campaign(dbsession, today, operator)
        return lines

    def _activities(self, dbsession, today, organiser):
        from kairan_points.earning.models import Activity
        from kairan_points.earning.services import create_activity

        programme = dbsession.scalar(select(Programme).where(Programme.code == "community"))
        if programme is None or organiser is None:
            return []
        lines = []
        for values in _activities(today):
            exists = dbsession.scalar(select(Activity.id).where(
                Activity.title == values["title"], Activity.created_by == organiser.id))
            if exists is not None:
                continue
            create_activity(dbsession, {**values, "programme_id": programme.id}, organiser.id)
            lines.append(f"points: community activity {values['title']} "
                         f"(organised by {organiser.email})")
        return lines

    def _campaign(self, dbsession, today, operator):
        from kairan_points.campaigns import services as campaigns

        values = _campaign(today)
        programme = dbsession.scalar(select(Programme).where(Programme.code == "regional2025"))
        if programme is None or campaigns.by_code(dbsession, values["code"]) is not None:
            return []
        campaigns.create_campaign(dbsession, {**values, "programme_id": programme.id},
                                  actor_id=operator.id if operator else None)
        return [f"points: campaign {values['title']} (applications open)"]
