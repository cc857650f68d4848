"""Exporters of the bridge: every move out (the outbox) and every credit in.

Personal data is limited to user ids; the service's ids are kept so an
operator can match a row with the service's records.
"""

from sqlalchemy import select

from kairan.export.services import Exporter
from kairan.i18n.translation import _
from kairan_points.bridge.models import BridgeCredit, BridgeMove
from kairan_points.models import Programme


class BridgeMovesExporter(Exporter):
    name = "points_bridge_moves"
    title = _("Points: moves to the regional currency app")

    def columns(self, request):
        return [("id", _("Move")), ("created", _("Date")), ("programme", _("Programme")),
                ("user_id", _("User ID")), ("amount", _("Points")), ("status", _("Status")),
                ("attempts", _("Attempts")), ("last_error", _("Last error")),
                ("idempotency_key", _("Idempotency key")), ("remote_id", _("Service ID")),
                ("remote_at", _("Service time")), ("transfer_id", _("Transfer")),
                ("revert_transfer_id", _("Reverting transfer"))]

    def rows(self, request):
        query = (
            select(BridgeMove.id, BridgeMove.created, Programme.code, BridgeMove.user_id,
                   BridgeMove.amount, BridgeMove.status, BridgeMove.attempts,
                   BridgeMove.last_error, BridgeMove.idempotency_key, BridgeMove.remote_id,
                   BridgeMove.remote_at, BridgeMove.transfer_id,
                   BridgeMove.revert_transfer_id)
            .join(Programme, Programme.id == BridgeMove.programme_id)
            .order_by(BridgeMove.id).execution_options(yield_per=500))
        for row in request.dbsession.execute(query):
            yield tuple(row)


class BridgeCreditsExporter(Exporter):
    name = "points_bridge_credits"
    title = _("Points: credits from the regional currency app")

    def columns(self, request):
        return [("id", _("Credit")), ("received_at", _("Date")), ("programme", _("Programme")),
                ("user_id", _("User ID")), ("amount", _("Points")),
                ("remote_id", _("Service ID")), ("remote_at", _("Service time")),
                ("transfer_id", _("Transfer"))]

    def rows(self, request):
        query = (
            select(BridgeCredit.id, BridgeCredit.received_at, Programme.code,
                   BridgeCredit.user_id, BridgeCredit.amount, BridgeCredit.remote_id,
                   BridgeCredit.remote_at, BridgeCredit.transfer_id)
            .join(Programme, Programme.id == BridgeCredit.programme_id)
            .order_by(BridgeCredit.id).execution_options(yield_per=500))
        for row in request.dbsession.execute(query):
            yield tuple(row)


EXPORTERS = (BridgeMovesExporter, BridgeCreditsExporter)
