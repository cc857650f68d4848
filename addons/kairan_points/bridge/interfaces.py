"""``ICurrencyBridge``: the connection to an existing regional currency app.

One utility in the registry (``request.registry.queryUtility(ICurrencyBridge)``),
chosen by the setting ``kairan.points.bridge.connector`` (``http``, the
built-in connector, or the dotted name of a factory ``factory(settings)``) or
by another add-on with the directive ``config.set_currency_bridge(bridge)``.
No utility: the bridge is off and its pages say so.

The resident is known to the service by our user id (a string). Points move
out through the outbox (``kairan points bridge send``); they come in through
the signed webhook ``POST /points/bridge/webhook``, which the connector
verifies with ``verify_inbound``.
"""

from dataclasses import dataclass
from datetime import datetime

from zope.interface import Attribute, Interface


class BridgeUnavailable(Exception):
    """The service did not answer definitively (down, timeout, 5xx, 429): try again later."""


class BridgeRefusal(Exception):
    """The service definitively refused the move (a 4xx answer): it did not and will not
    happen; the points go back to the wallet."""


class InboundRejected(Exception):
    """An inbound request whose signature, time or body is not acceptable."""


@dataclass(frozen=True)
class OutboundMove:
    """What the service is asked to credit: ``amount`` points for ``remote_user``."""

    idempotency_key: str
    remote_user: str
    programme: str  # the programme's code
    amount: int


@dataclass(frozen=True)
class Accepted:
    """The service credited the move as its transaction ``remote_id`` at ``at``."""

    remote_id: str
    at: datetime


@dataclass(frozen=True)
class RemoteTransaction:
    """One transaction on the service's side of a day, for the reconciliation.

    ``direction``: ``out`` (points left Kairan for the service; ``reference``
    is our idempotency key) or ``in`` (the service sent points to Kairan;
    ``reference`` is the service's transaction id).
    """

    remote_id: str
    reference: str
    direction: str
    remote_user: str
    amount: int
    at: datetime


@dataclass(frozen=True)
class InboundCredit:
    """A verified credit from the service: ``amount`` points of ``programme`` for
    ``remote_user``, its transaction ``remote_id`` at ``at``."""

    remote_id: str
    remote_user: str
    programme: str
    amount: object  # as sent: checked by the ledger (an int from 1 up)
    at: datetime


class ICurrencyBridge(Interface):
    """A regional currency service that points can be moved to and from."""

    name = Attribute("A short name for logs and the operators' page ('http').")

    def send(move):
        """Ask the service to credit ``move`` (an ``OutboundMove``); return ``Accepted``.

        Must be idempotent by ``move.idempotency_key``: the same key sent again
        returns the first result and moves nothing more. Raises
        ``BridgeRefusal`` when the service definitively refused it and
        ``BridgeUnavailable`` when the outcome is unknown (retry later).
        """

    def transactions(day):
        """The service's transactions of the JST date ``day``: [RemoteTransaction].
        Raises ``BridgeUnavailable``."""

    def verify_inbound(method, path, headers, body, now):
        """Check an inbound request's signature and time window; return its
        ``InboundCredit``. Raises ``InboundRejected``."""
