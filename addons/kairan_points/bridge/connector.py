"""The built-in HTTP connector: signed JSON requests to the regional currency service.

The service's protocol (what the fake service of the tests implements too):

- ``POST {url}/v1/credits`` with ``{"reference", "user_id", "programme",
  "amount"}`` and the header ``Idempotency-Key``: 200/201 ``{"id", "at"}``
  when credited (the same key again: the same answer, nothing more moved);
  another 4xx is a definitive refusal; 408, 425, 429, 5xx, a timeout or no
  connection leave the outcome unknown (retried from the outbox).
- ``GET {url}/v1/transactions?date=YYYY-MM-DD`` (a JST date):
  ``{"transactions": [{"id", "reference", "direction", "user_id", "amount", "at"}]}``.
- The service credits a wallet with ``POST /points/bridge/webhook`` and
  ``{"id", "user_id", "programme", "amount", "at"}``, signed the same way.

Every request is signed (``kairan_points.bridge.signing``) with
``kairan.points.bridge.secret``. Only the standard library is used.
"""

import json
import time
from datetime import UTC, datetime
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from zope.interface import implementer

from kairan_points.bridge import signing
from kairan_points.bridge.interfaces import (
    Accepted,
    BridgeRefusal,
    BridgeUnavailable,
    ICurrencyBridge,
    InboundCredit,
    InboundRejected,
    RemoteTransaction,
)

RETRYABLE_STATUSES = {408, 425, 429}
MAX_BODY = 10 * 1024 * 1024


def parse_time(value):
    """An aware datetime from the service's ISO 8601 text (UTC if it names no zone)."""
    when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@implementer(ICurrencyBridge)
class HttpCurrencyBridge:
    """``ICurrencyBridge`` over HTTPS (see the module docstring for the protocol)."""

    name = "http"

    def __init__(self, url, secret, timeout=10.0, window=300, clock=time.time):
        self.url = url.rstrip("/")
        self.base_path = urlsplit(self.url).path
        self.secret = secret
        self.timeout = timeout
        self.window = window
        self.clock = clock

    @classmethod
    def from_settings(cls, settings):
        return cls(settings["kairan.points.bridge.url"],
                   settings["kairan.points.bridge.secret"],
                   timeout=settings["kairan.points.bridge.timeout"],
                   window=settings["kairan.points.bridge.webhook_window"])

    def _call(self, method, path_qs, payload=None, headers=None):
        body = b"" if payload is None else json.dumps(
            payload, ensure_ascii=False, separators=(",", ":")).encode()
        target = self.base_path + path_qs
        all_headers = {"Content-Type": "application/json", "Accept": "application/json",
                       **(headers or {}),
                       **signing.signed_headers(self.secret, method, target,
                                                int(self.clock()), body)}
        # the URL is the operator's http(s) setting (checked at start-up), never input
        request = Request(self.url + path_qs, data=body if method != "GET" else None,  # noqa: S310
                          method=method, headers=all_headers)
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read(MAX_BODY)
        except HTTPError as error:
            status = error.code
            try:
                raw = error.read(4096)
            except (OSError, HTTPException):
                raw = b""
            finally:
                error.close()
        except TimeoutError:
            raise BridgeUnavailable(f"no answer within {self.timeout:g} s") from None
        except URLError as error:
            raise BridgeUnavailable(f"cannot connect: {error.reason}") from None
        except (OSError, HTTPException) as error:
            raise BridgeUnavailable(f"connection failed: {type(error).__name__}") from None
        if status >= 500 or status in RETRYABLE_STATUSES or 300 <= status < 400:
            raise BridgeUnavailable(f"HTTP {status}")
        if status >= 400:
            raise BridgeRefusal(f"HTTP {status}: {_error_text(raw)}")
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            raise BridgeUnavailable(f"HTTP {status} with a body that is not JSON") from None

    def send(self, move):
        answer = self._call("POST", "/v1/credits", {
            "reference": move.idempotency_key, "user_id": move.remote_user,
            "programme": move.programme, "amount": move.amount,
        }, headers={signing.KEY_HEADER: move.idempotency_key})
        try:
            return Accepted(remote_id=str(answer["id"])[:100], at=parse_time(answer["at"]))
        except (KeyError, TypeError, ValueError):
            # The service said yes but not what it did: ask again (same key, same answer).
            raise BridgeUnavailable("an accepted answer without id and time") from None

    def transactions(self, day):
        answer = self._call("GET", "/v1/transactions?" + urlencode({"date": day.isoformat()}))
        found = []
        try:
            for item in answer["transactions"]:
                found.append(RemoteTransaction(
                    remote_id=str(item["id"]), reference=str(item["reference"]),
                    direction=str(item["direction"]), remote_user=str(item["user_id"]),
                    amount=int(item["amount"]), at=parse_time(item["at"])))
        except (KeyError, TypeError, ValueError):
            raise BridgeUnavailable("the list of transactions is malformed") from None
        return found

    def verify_inbound(self, method, path, headers, body, now):
        problem = signing.check(self.secret, method, path, headers, body, now.timestamp(),
                                self.window)
        if problem is not None:
            raise InboundRejected(problem)
        try:
            data = json.loads(body)
            return InboundCredit(
                remote_id=_text(data["id"], 100), remote_user=_text(data["user_id"], 64),
                programme=_text(data["programme"], 40), amount=data["amount"],
                at=parse_time(data["at"]))
        except (KeyError, TypeError, ValueError) as error:
            raise InboundRejected(f"malformed body: {type(error).__name__}") from None


def _text(value, limit):
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise TypeError("not a string")
    text = str(value)
    if not text or len(text) > limit:
        raise ValueError("empty or too long")
    return text


def _error_text(raw):
    try:
        data = json.loads(raw)
        text = data.get("error") or data.get("message") or ""
    except (ValueError, AttributeError):
        text = raw.decode("utf-8", "replace")
    return str(text)[:200]


@implementer(ICurrencyBridge)
class NullCurrencyBridge:
    """A stand-in service kept in memory, for development and demonstrations:
    ``kairan.points.bridge.connector = kairan_points.bridge.connector.NullCurrencyBridge``.
    It accepts every move (the same key: the same answer), lists what it accepted,
    and refuses every inbound request (it never sends any)."""

    name = "null"

    def __init__(self, settings=None, clock=None):
        self.accepted = {}  # idempotency key -> (Accepted, OutboundMove)
        self.clock = clock or (lambda: datetime.now(UTC))

    def send(self, move):
        if move.idempotency_key not in self.accepted:
            accepted = Accepted(remote_id=f"null-{len(self.accepted) + 1}", at=self.clock())
            self.accepted[move.idempotency_key] = (accepted, move)
        return self.accepted[move.idempotency_key][0]

    def transactions(self, day):
        from kairan_points.services import tokyo_date

        return [RemoteTransaction(remote_id=a.remote_id, reference=key, direction="out",
                                  remote_user=m.remote_user, amount=m.amount, at=a.at)
                for key, (a, m) in self.accepted.items() if tokyo_date(a.at) == day]

    def verify_inbound(self, method, path, headers, body, now):
        raise InboundRejected("unsigned: the null bridge takes no inbound requests")
