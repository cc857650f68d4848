"""A fake regional currency service: a real HTTP server on 127.0.0.1, for the bridge's tests.

It speaks the protocol of ``kairan_points.bridge.connector`` and checks every
request's HMAC signature (a wrong secret: 401). It keeps a balance per user
id and a list of transactions, and answers a repeated idempotency key with
the first answer (moving nothing more). Switches, all off after ``reset()``:

- ``down``: every request gets 503; ``stop()``/``start()``: nothing listens
  (connection refused) and then the same port listens again
- ``slow``: seconds to wait after doing the work and before answering (the
  caller times out although the credit happened)
- ``refuse``: credits get 422 (a definitive refusal), recorded as refused
- ``deliver_credit(..., twice=True)``: the service's webhook to Kairan, sent twice
- ``tamper(reference, amount)`` / ``forget(reference)`` / ``invent(...)``:
  discrepancies for the reconciliation
"""

import json
import secrets
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlsplit
from urllib.request import Request, urlopen
from zoneinfo import ZoneInfo

from kairan_points.bridge import signing

TOKYO = ZoneInfo("Asia/Tokyo")
SECRET = "fake-currency-shared-secret-0123456789"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet
        pass

    def _answer(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, method):
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake.seen.append((method, self.path))
        if fake.down:
            return self._answer(503, {"error": "maintenance"})
        problem = signing.check(fake.secret, method, self.path, self.headers, body,
                                time.time(), 300)
        if problem is not None:
            fake.unauthorized += 1
            return self._answer(401, {"error": problem})
        status, payload = fake.dispatch(method, self.path, self.headers, body)
        if fake.slow:
            time.sleep(fake.slow)
        try:
            self._answer(status, payload)
        except OSError:
            pass  # the caller gave up waiting

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")


class FakeCurrency:
    def __init__(self, secret=SECRET):
        self.secret = secret
        self.lock = threading.Lock()
        self.server = None
        self.port = 0
        self.reset()

    # -- running ------------------------------------------------------------------------

    def start(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self.server.daemon_threads = True
        self.server.fake = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Nothing listens any more (connection refused) until ``start()``."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(5)
            self.server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def reset(self):
        with self.lock:
            self.down = False
            self.slow = 0
            self.refuse = False
            self.balances = Counter()
            self.transactions = []  # dicts as listed by GET /v1/transactions
            self.answers = {}  # idempotency key -> (status, payload)
            self.processed = Counter()  # idempotency key -> times the credit was done
            self.posts = Counter()  # idempotency key -> times it was asked
            self.seen = []
            self.unauthorized = 0
            self.clock = lambda: datetime.now(UTC)

    # -- the protocol ---------------------------------------------------------------------

    def dispatch(self, method, path, headers, body):
        parts = urlsplit(path)
        if method == "POST" and parts.path == "/v1/credits":
            return self.credit(headers, body)
        if method == "GET" and parts.path == "/v1/transactions":
            day = parse_qs(parts.query).get("date", [""])[0]
            return 200, {"transactions": self.of_day(day)}
        return 404, {"error": "not found"}

    def credit(self, headers, body):
        key = headers.get(signing.KEY_HEADER, "")
        data = json.loads(body)
        with self.lock:
            self.posts[key] += 1
            if key in self.answers:
                return self.answers[key]  # the same answer, nothing moved again
            if not key or data.get("reference") != key:
                return 400, {"error": "the idempotency key must be the reference"}
            if self.refuse:
                answer = (422, {"error": "this account cannot receive points"})
            else:
                self.processed[key] += 1
                tx = {"id": "fx-" + secrets.token_hex(6), "reference": key,
                      "direction": "out", "user_id": str(data["user_id"]),
                      "amount": int(data["amount"]), "at": self.clock().isoformat()}
                self.transactions.append(tx)
                self.balances[tx["user_id"]] += tx["amount"]
                answer = (201, {"id": tx["id"], "at": tx["at"], "status": "accepted"})
            self.answers[key] = answer
            return answer

    def of_day(self, day):
        with self.lock:
            return [dict(tx) for tx in self.transactions
                    if datetime.fromisoformat(tx["at"]).astimezone(TOKYO).date().isoformat()
                    == day]

    # -- the other way: the service's webhook to Kairan --------------------------------------

    def deliver_credit(self, webhook_url, user_id, programme, amount, *, twice=False,
                       secret=None, skew=0, remote_id=None):
        """POST a signed credit to Kairan (twice if asked); [(status, json)]. The service's
        balance goes down once, when Kairan first says it credited."""
        tx = {"id": remote_id or "fx-" + secrets.token_hex(6), "user_id": str(user_id),
              "programme": programme, "amount": amount, "at": self.clock().isoformat()}
        body = json.dumps(tx).encode()
        path = urlsplit(webhook_url).path
        answers = []
        for _time in range(2 if twice else 1):
            headers = {"Content-Type": "application/json",
                       **signing.signed_headers(secret or self.secret, "POST", path,
                                                int(time.time()) + skew, body)}
            try:
                with urlopen(Request(webhook_url, data=body, headers=headers,
                                     method="POST"), timeout=10) as response:
                    answers.append((response.status, json.loads(response.read())))
            except HTTPError as error:
                answers.append((error.code, json.loads(error.read() or b"{}")))
                error.close()
        if any(status == 200 for status, _a in answers):
            with self.lock:
                self.transactions.append({**{k: tx[k] for k in ("id", "user_id", "amount",
                                                                 "at")},
                                          "reference": tx["id"], "direction": "in"})
                self.balances[str(user_id)] -= amount
        return answers

    # -- discrepancies ---------------------------------------------------------------------

    def tamper(self, reference, amount):
        with self.lock:
            for tx in self.transactions:
                if tx["reference"] == reference:
                    tx["amount"] = amount

    def forget(self, reference):
        with self.lock:
            self.transactions = [tx for tx in self.transactions if tx["reference"] != reference]

    def invent(self, user_id, amount, at=None):
        """A transaction only the service knows about."""
        with self.lock:
            key = "kp-invented-" + secrets.token_hex(4)
            self.transactions.append({"id": "fx-" + secrets.token_hex(6), "reference": key,
                                      "direction": "out", "user_id": str(user_id),
                                      "amount": amount,
                                      "at": (at or self.clock()).isoformat()})
            return key


def shifted_clock(delta):
    return lambda: datetime.now(UTC) + timedelta(seconds=delta)
