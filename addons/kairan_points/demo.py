"""The demo city's points: two programmes and a few points in the demo resident's wallet."""

from datetime import timedelta

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


@implementer(IDemoLoader)
class PointsDemoLoader:
    name = "points"
    title = "points programmes"
    order = 20  # after the shops

    def load(self, dbsession, registry, today):
        resident_email = next(u.email for u in DEMO_USERS if u.role == "Member")
        operator_email = next(u.email for u in DEMO_USERS if u.role == "Operator")
        resident = dbsession.scalar(select(User).where(User.email == resident_email))
        operator = dbsession.scalar(select(User).where(User.email == operator_email))
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
        return lines
