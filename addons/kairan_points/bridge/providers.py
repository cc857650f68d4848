"""The ``points_bridge`` section of "download my data": the resident's moves to the
regional currency app (with their status) and the credits that came from it."""

from sqlalchemy import select
from zope.interface import implementer

from kairan.accounts.interfaces import IPersonalDataProvider
from kairan_points.bridge.models import BridgeCredit, BridgeMove
from kairan_points.models import Programme


def _iso(value):
    return value.isoformat() if value is not None else None


@implementer(IPersonalDataProvider)
class BridgeData:
    name = "points_bridge"

    def export(self, request, user):
        dbsession = request.dbsession
        moves = dbsession.execute(
            select(BridgeMove, Programme.code)
            .join(Programme, Programme.id == BridgeMove.programme_id)
            .where(BridgeMove.user_id == user.id).order_by(BridgeMove.id)).all()
        credits = dbsession.execute(
            select(BridgeCredit, Programme.code)
            .join(Programme, Programme.id == BridgeCredit.programme_id)
            .where(BridgeCredit.user_id == user.id).order_by(BridgeCredit.id)).all()
        return {
            "moves_out": [{"programme": code, "points": m.amount, "status": m.status,
                           "created": _iso(m.created), "service_id": m.remote_id,
                           "service_at": _iso(m.remote_at)} for m, code in moves],
            "credits_in": [{"programme": code, "points": c.amount, "service_id": c.remote_id,
                            "service_at": _iso(c.remote_at), "received": _iso(c.received_at)}
                           for c, code in credits],
        }
