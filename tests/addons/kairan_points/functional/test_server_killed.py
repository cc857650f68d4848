"""The server process killed (SIGKILL) while payments are in flight, on PostgreSQL.

The application runs as a real, separate process (``kairan serve``: waitress) on the
test database. A second connection holds the row lock of one resident's wallet
(``SELECT ... FOR UPDATE``), so that resident's payments wait inside their
transactions, while another resident pays again and again; then the server is
killed with SIGKILL and only afterwards is the lock released. Nothing partial may be
left: every transfer has its lines and they sum to zero, balances equal their lines
and lots (``verify_ok``), each wallet is at "before" or "after" whole payments, and
every acknowledged payment is there. A restarted server given the same requests
(same idempotency keys) makes each payment exactly once. A second test kills the
server later in the transaction: after the ledger's writes (transfer, lines, lots,
balances), while its lot entries wait for a table lock.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from kairan_merchants.interfaces import IMerchantDirectory
from kairan_points import ledger, services
from kairan_points.models import Account, Line, Transfer
from kairan_points.payments.models import Payment
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from kairan.db.meta import utcnow
from tests.addons.kairan_merchants.functional.helpers import make_merchant
from tests.addons.kairan_points.conftest import key

CSRF_RE = re.compile(r'name="csrf_token"\s+value="([^"]+)"')
KAIRAN = Path(sys.executable).with_name("kairan")
LOCKED_AMOUNT = 700
STREAM_AMOUNT = 10
FUNDS = 10_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``kairan -c points.ini serve`` in its own process group, on a free loopback port,
    its database connections named ``application_name`` (to find them in
    pg_stat_activity)."""

    def __init__(self, tmp_path, settings, name):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.application_name = name
        db_url = make_url(settings["sqlalchemy.url"]).update_query_dict(
            {"application_name": name}).render_as_string(hide_password=False)
        values = {**settings, "sqlalchemy.url": db_url, "kairan.base_url": self.url}
        self.ini = tmp_path / f"{name}.ini"
        self.ini.write_text("\n".join([
            "[app:main]", "use = egg:kairan",
            *(f"{k} = {str(v).replace('%', '%%')}" for k, v in values.items()),
            "", "[server:main]", "use = egg:waitress#main", "host = 127.0.0.1",
            f"port = {self.port}", "threads = 8", ""]))
        self.log = tmp_path / f"{name}.log"
        self.process = None

    def start(self):
        # the .ini is the whole truth: no KAIRAN_* variable of the developer's shell
        environ = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own console script
                [str(KAIRAN), "-c", str(self.ini), "serve"], stdout=log,
                stderr=subprocess.STDOUT, env=environ, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited: {self.log.read_text()[-3000:]}")
            try:
                # the first request may be slow on a busy machine: wait for its answer
                requests.get(self.url + "/login", timeout=30)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        pytest.fail(f"the server did not answer in 60 s: {self.log.read_text()[-3000:]}")

    def kill(self, sig=signal.SIGKILL):
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, sig)
        self.process.wait(timeout=15)

    def stop(self):
        """Make sure the process is gone (never leave an orphan behind)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def servers(tmp_path, kairan_settings):
    """servers(name) -> a started ServerProcess; every one is stopped at the end."""
    started = []

    def start(name):
        server = ServerProcess(tmp_path, kairan_settings, name)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
    for server in started:
        assert server.process.poll() is not None, "a server process was left running"


def sign_in(dbsession, user):
    """A level-2 session (no step-up asked for any amount) as a requests.Session."""
    from kairan.security.models import AuthSession
    from kairan.security.sessions import token_hash

    token = secrets.token_urlsafe(32)
    now = utcnow()
    dbsession.add(AuthSession(id=token_hash(token), user_id=user.id, created=now,
                              last_seen=now - timedelta(seconds=1),
                              factors={"pwd": {"level": 1, "at": now.isoformat()},
                                       "otp": {"level": 2, "at": now.isoformat()}},
                              data={}))
    dbsession.commit()
    client = requests.Session()
    client.cookies.set("kairan_session", token)
    return client


class Payer:
    """One resident's browser: it fetches the CSRF token once, then posts payments."""

    def __init__(self, client, code, programme):
        self.client, self.code, self.programme = client, code, programme
        self.token = None

    def prepare(self, server):
        page = self.client.get(server.url + "/points/pay", timeout=10)
        assert page.status_code == 200, page.text[:500]
        self.token = CSRF_RE.search(page.text).group(1)

    def pay(self, server, amount, idempotency_key, timeout=60):
        return self.client.post(server.url + "/points/pay/confirm", data={
            "csrf_token": self.token, "code": self.code, "programme": str(self.programme.id),
            "amount": str(amount), "idempotency_key": idempotency_key},
            allow_redirects=False, timeout=timeout)


def fund(dbsession, programme, user):
    services.grant(dbsession, programme, user.id, FUNDS, "welcome", actor_id=None,
                   idempotency_key=key())
    dbsession.commit()
    return ledger.wallet_account(dbsession, programme.id, user.id, create=False).id


def wait_for(engine, query, params, check, seconds=20):
    """Poll ``query`` until ``check(rows)`` (bounded); return whether it happened."""
    deadline = time.monotonic() + seconds
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            rows = connection.execute(text(query), params).all()
            connection.rollback()
            if check(rows):
                return True
            time.sleep(0.05)
    return False


def backends(engine, name, seconds, check):
    return wait_for(engine, "SELECT pid, wait_event_type, state FROM pg_stat_activity "
                            "WHERE application_name = :name", {"name": name}, check, seconds)


def payments_of(dbsession, user):
    dbsession.rollback()
    return list(dbsession.scalars(select(Payment).where(Payment.user_id == user.id)))


def assert_nothing_partial(dbsession):
    """Every transfer has lines that sum to zero; every payment has its transfer."""
    from tests.addons.kairan_points.conftest import verify_ok

    dbsession.rollback()
    lineless = dbsession.scalar(select(func.count()).select_from(Transfer).where(
        ~select(Line.id).where(Line.transfer_id == Transfer.id).exists()))
    assert lineless == 0
    unbalanced = dbsession.execute(select(Line.transfer_id).group_by(Line.transfer_id)
                                   .having(func.sum(Line.amount) != 0)).all()
    assert unbalanced == []
    orphans = dbsession.scalar(select(func.count()).select_from(Payment).where(
        ~select(Transfer.id).where(Transfer.id == Payment.transfer_id).exists()))
    assert orphans == 0
    verify_ok(dbsession)


@pytest.mark.postgres_only
def test_the_server_killed_mid_payment_leaves_nothing_partial(
        dbsession, engine, registry, app_request, make_programme, make_user, servers):
    regional = make_programme(code="regional2025")
    shop = make_merchant(dbsession, staff_user=make_user(email="till@example.jp"))
    waiting, streaming = make_user(email="waiting@example.jp"), make_user(email="steady@example.jp")
    waiting_wallet = fund(dbsession, regional, waiting)
    streaming_wallet = fund(dbsession, regional, streaming)
    code = registry.getUtility(IMerchantDirectory).payload_for(app_request,
                                                               shop.branches[0].id)
    doomed_name = "kairan-doomed-" + secrets.token_hex(4)
    doomed = servers(doomed_name)
    waiter = Payer(sign_in(dbsession, waiting), code, regional)
    streamer = Payer(sign_in(dbsession, streaming), code, regional)
    waiter.prepare(doomed)
    streamer.prepare(doomed)
    # the server works before the fault
    assert streamer.pay(doomed, STREAM_AMOUNT, key() + "-warm-up").status_code == 303

    waiting_keys = [key() + f"-waiting-{i}" for i in range(3)]
    waiting_results = {}
    sent, acknowledged, failed = [], [], []
    stop = threading.Event()

    def wait_to_pay(idempotency_key):
        try:
            waiting_results[idempotency_key] = waiter.pay(doomed, LOCKED_AMOUNT,
                                                          idempotency_key).status_code
        except requests.RequestException as error:
            waiting_results[idempotency_key] = error

    def keep_paying():
        while not stop.is_set():
            idempotency_key = key() + f"-stream-{len(sent)}"
            sent.append(idempotency_key)
            try:
                response = streamer.pay(doomed, STREAM_AMOUNT, idempotency_key, timeout=30)
            except requests.RequestException:
                failed.append(idempotency_key)
                return
            assert response.status_code == 303, response.text[:500]
            acknowledged.append(idempotency_key)

    holder = engine.connect()
    threads = []
    try:
        holder.execute(text("SELECT id FROM points_accounts WHERE id = :id FOR UPDATE"),
                       {"id": waiting_wallet})
        threads = [threading.Thread(target=wait_to_pay, args=(k,)) for k in waiting_keys]
        threads.append(threading.Thread(target=keep_paying))
        for thread in threads:
            thread.start()
        # the three payments wait for the wallet's lock inside their transactions
        assert backends(engine, doomed_name, 20, lambda rows: sum(
            1 for _pid, wait, state in rows if wait == "Lock" and state == "active") >= 3), \
            "the payments never waited for the wallet's lock"
        deadline = time.monotonic() + 20
        while len(acknowledged) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(acknowledged) >= 5, "the other resident's payments did not go through"
        doomed.kill(signal.SIGKILL)
        assert doomed.process.returncode == -signal.SIGKILL
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads)
        # the killed server's connections are still there, waiting: release the lock
        assert backends(engine, doomed_name, 1, lambda rows: len(rows) >= 3)
        holder.rollback()
    finally:
        stop.set()
        holder.rollback()
        holder.close()
        for thread in threads:
            thread.join(timeout=30)
    # its backends find their client gone and roll back
    assert backends(engine, doomed_name, 30, lambda rows: rows == []), \
        "the killed server's database sessions did not end"

    assert all(isinstance(result, requests.RequestException)
               for result in waiting_results.values()), waiting_results
    assert len(waiting_results) == 3
    assert_nothing_partial(dbsession)
    # the waiting payments were killed before their commit: the wallet is as before
    assert payments_of(dbsession, waiting) == []
    assert dbsession.get(Account, waiting_wallet).balance == FUNDS
    # the other resident: every acknowledged payment is whole, none is half there;
    # the balance is "before" or "after" each payment, never in between
    streamed = payments_of(dbsession, streaming)
    assert len(acknowledged) + 1 <= len(streamed) <= len(sent) + 1
    assert dbsession.get(Account, streaming_wallet).balance == \
        FUNDS - STREAM_AMOUNT * len(streamed)
    keys = set(dbsession.scalars(select(Transfer.idempotency_key).where(
        Transfer.id.in_([p.transfer_id for p in streamed]))))
    assert {f"pay:{streaming.id}:{k}" for k in acknowledged} <= keys

    # a restarted server, given the same requests again, pays each exactly once
    revived = servers("kairan-revived-" + secrets.token_hex(4))
    waiter.prepare(revived)
    streamer.prepare(revived)
    first = {k: waiter.pay(revived, LOCKED_AMOUNT, k) for k in waiting_keys}
    again = {k: waiter.pay(revived, LOCKED_AMOUNT, k) for k in waiting_keys}
    for k in waiting_keys:
        assert first[k].status_code == again[k].status_code == 303
        assert first[k].headers["Location"] == again[k].headers["Location"]
        assert "/points/payments/" in first[k].headers["Location"]
    assert len(payments_of(dbsession, waiting)) == 3
    assert dbsession.get(Account, waiting_wallet).balance == FUNDS - 3 * LOCKED_AMOUNT
    # the request that was cut off by the kill: retried, it is there once
    for cut_off in failed:
        assert streamer.pay(revived, STREAM_AMOUNT, cut_off).status_code == 303
        assert streamer.pay(revived, STREAM_AMOUNT, cut_off).status_code == 303
    streamed = payments_of(dbsession, streaming)
    keys = list(dbsession.scalars(select(Transfer.idempotency_key).where(
        Transfer.id.in_([p.transfer_id for p in streamed]))))
    assert len(keys) == len(set(keys)) == len(streamed)
    assert {f"pay:{streaming.id}:{k}" for k in acknowledged + failed} <= set(keys)
    assert dbsession.get(Account, streaming_wallet).balance == \
        FUNDS - STREAM_AMOUNT * len(streamed)
    revived.stop()
    assert revived.process.poll() is not None
    assert_nothing_partial(dbsession)


@pytest.mark.postgres_only
def test_the_server_killed_after_the_ledger_writes_before_commit_leaves_nothing(
        dbsession, engine, registry, app_request, make_programme, make_user, servers):
    """The payments get further: a second connection holds a SHARE lock on the lot
    entries, so a payment writes its transfer, lines, balances and lots and then waits
    to insert its lot entries (the ledger function's last write; the payment row and
    the audit entry follow in the same statement); the server is killed there, before
    any commit."""
    regional = make_programme(code="regional2025")
    residents = [make_user(email=f"payer{i}@example.jp") for i in range(2)]
    wallets = [fund(dbsession, regional, resident) for resident in residents]
    # a shop each: one payment of each reaches the insert (the till's row lock would
    # otherwise queue the second resident behind the first)
    shops = [make_merchant(dbsession, name=f"回覧板商店{i}", branch=f"回覧板商店{i} 本店")
             for i in range(2)]
    codes = [registry.getUtility(IMerchantDirectory).payload_for(app_request,
                                                                 shop.branches[0].id)
             for shop in shops]
    doomed_name = "kairan-doomed-" + secrets.token_hex(4)
    doomed = servers(doomed_name)
    payers = [Payer(sign_in(dbsession, resident), code, regional)
              for resident, code in zip(residents, codes, strict=True)]
    for payer in payers:
        payer.prepare(doomed)
    requests_sent = [(payer, key() + f"-late-{i}-{j}") for i, payer in enumerate(payers)
                     for j in range(2)]
    results = {}

    def pay(payer, idempotency_key):
        try:
            results[idempotency_key] = payer.pay(doomed, LOCKED_AMOUNT, idempotency_key)
        except requests.RequestException as error:
            results[idempotency_key] = error

    holder = engine.connect()
    threads = [threading.Thread(target=pay, args=sent) for sent in requests_sent]
    try:
        holder.execute(text("LOCK TABLE points_lot_entries IN SHARE MODE"))
        for thread in threads:
            thread.start()
        # two wait for the lot entries (after the ledger's other writes), two for a
        # wallet's row
        assert wait_for(engine, "SELECT query, wait_event FROM pg_stat_activity "
                        "WHERE application_name = :name AND wait_event_type = 'Lock'",
                        {"name": doomed_name},
                        lambda rows: len(rows) == 4 and sum(
                            "points_transfer(" in query and event == "relation"
                            for query, event in rows) == 2), \
            "the payments never waited to insert their lot entries"
        # by now one transaction of each resident has written its transfer, lines and
        # lots and moved the balances (the payment row's table is locked for its insert
        # since the statement began); the second waits for the wallet's row
        with engine.connect() as connection:
            writers = connection.execute(text(
                "SELECT c.relname, count(DISTINCT l.pid) FROM pg_locks l "
                "JOIN pg_class c ON c.oid = l.relation "
                "JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE a.application_name = :name AND l.mode = 'RowExclusiveLock' "
                "AND l.granted AND c.relname IN ('points_transfers', 'points_lines', "
                "'points_lots', 'points_payments') GROUP BY c.relname"),
                {"name": doomed_name}).all()
        assert dict(writers) == {"points_transfers": 2, "points_lines": 2, "points_lots": 2,
                                 "points_payments": 2}, writers
        doomed.kill(signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=30)
        holder.rollback()
    finally:
        holder.rollback()
        holder.close()
        for thread in threads:
            thread.join(timeout=30)
    assert backends(engine, doomed_name, 30, lambda rows: rows == []), \
        "the killed server's database sessions did not end"
    assert len(results) == 4
    assert all(isinstance(r, requests.RequestException) for r in results.values()), results

    assert_nothing_partial(dbsession)
    assert dbsession.scalar(select(func.count()).select_from(Payment)) == 0
    assert dbsession.scalar(select(func.count()).select_from(Transfer)
                            .where(Transfer.reason_code == "payment")) == 0
    for wallet in wallets:
        assert dbsession.get(Account, wallet).balance == FUNDS

    revived = servers("kairan-revived-" + secrets.token_hex(4))
    for payer in payers:
        payer.prepare(revived)
    for _round in range(2):
        for payer, idempotency_key in requests_sent:
            assert payer.pay(revived, LOCKED_AMOUNT, idempotency_key).status_code == 303
    for resident, wallet in zip(residents, wallets, strict=True):
        assert len(payments_of(dbsession, resident)) == 2
        assert dbsession.get(Account, wallet).balance == FUNDS - 2 * LOCKED_AMOUNT
    revived.stop()
    assert_nothing_partial(dbsession)
