"""Concurrency and faults on PostgreSQL (SECURITY.md, "The wallet and bookings").

Threads, each with its own connection, are released together by a barrier.
After every test the whole ledger is verified.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from kairan_points import expiry, ledger, services
from kairan_points.errors import BudgetExceeded, InsufficientPoints
from kairan_points.models import ISSUER, Account, Transfer
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from kairan.db import get_engine
from kairan.db.meta import utcnow
from tests.addons.kairan_points.conftest import key, verify_ok

THREADS = 40


@pytest.fixture
def session_factory(engine):
    """Sessions on an engine of their own, with a connection for every thread."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        own = get_engine({"sqlalchemy.url": url})  # WAL and the busy timeout
    else:
        own = create_engine(url, pool_size=THREADS, max_overflow=5, pool_timeout=60)
    yield sessionmaker(bind=own, expire_on_commit=False)
    own.dispose()


def released_together(count, work):
    """Run ``work(i)`` for i in range(count) on THREADS threads that start at one barrier;
    return the results (or the exceptions) in order."""
    barrier = threading.Barrier(min(THREADS, count))

    def worker(indexes):
        barrier.wait()
        out = []
        for i in indexes:
            try:
                out.append((i, work(i)))
            except Exception as error:  # noqa: BLE001 - collected and asserted on
                out.append((i, error))
        return out

    chunks = [list(range(start, count, THREADS)) for start in range(min(THREADS, count))]
    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        results = [r for chunk in pool.map(worker, chunks) for r in chunk]
    return [result for _i, result in sorted(results, key=lambda pair: pair[0])]


def fund(dbsession, programme, user, amounts):
    now = utcnow()
    for days, amount in enumerate(amounts, start=1):
        wallet = ledger.wallet_account(dbsession, programme.id, user.id)
        issuer = ledger.system_account_id(dbsession, programme.id, ISSUER)
        ledger.transfer(dbsession, programme_id=programme.id, reason_code="grant",
                        idempotency_key=key(),
                        postings=[ledger.Posting(issuer, -amount),
                                  ledger.Posting(wallet.id, amount,
                                                 expires_at=now + timedelta(days=days))])
    dbsession.commit()
    return ledger.wallet_account(dbsession, programme.id, user.id).id


@pytest.mark.postgres_only
def test_1000_concurrent_payments_never_overdraw_one_wallet(dbsession, session_factory,
                                                            programme, make_user):
    resident = make_user()
    wallet_id = fund(dbsession, programme, resident, [200, 250, 150])
    shop_id = ledger.merchant_account(dbsession, programme.id, 42).id
    dbsession.commit()

    def pay(i):
        return services.run_in_transaction(session_factory, lambda s: ledger.transfer(
            s, programme_id=programme.id, reason_code="payment", idempotency_key=f"pay:{i}",
            postings=[ledger.Posting(wallet_id, -1), ledger.Posting(shop_id, 1)]).id)

    results = released_together(1000, pay)
    unexpected = [r for r in results if isinstance(r, Exception)
                  and not isinstance(r, InsufficientPoints)]
    assert unexpected == []
    assert sum(isinstance(r, int) for r in results) == 600
    dbsession.expire_all()
    assert dbsession.get(Account, wallet_id).balance == 0
    assert dbsession.get(Account, shop_id).balance == 600
    verify_ok(dbsession)


@pytest.mark.postgres_only
def test_concurrent_grants_never_pass_the_budget(dbsession, session_factory, make_programme,
                                                 make_user):
    programme = make_programme(budget=1000)
    residents = [make_user() for _ in range(5)]

    def give(i):
        return services.run_in_transaction(session_factory, lambda s: services.grant(
            s, programme, residents[i % 5].id, 10, "", actor_id=None,
            idempotency_key=f"grant:{i}").id)

    results = released_together(200, give)
    assert all(isinstance(r, int | BudgetExceeded) for r in results), results
    assert sum(isinstance(r, int) for r in results) == 100
    assert ledger.issued(dbsession, programme.id) == 1000
    verify_ok(dbsession)


@pytest.mark.postgres_only
def test_100_parallel_retries_with_one_key_have_one_effect(dbsession, session_factory,
                                                           programme, make_user):
    resident = make_user()
    wallet_id = fund(dbsession, programme, resident, [500])
    shop_id = ledger.merchant_account(dbsession, programme.id, 7).id
    dbsession.commit()

    def pay(_i):
        return services.run_in_transaction(session_factory, lambda s: ledger.transfer(
            s, programme_id=programme.id, reason_code="payment", idempotency_key="one-key",
            postings=[ledger.Posting(wallet_id, -30), ledger.Posting(shop_id, 30)]).id)

    results = released_together(100, pay)
    assert len(set(results)) == 1 and isinstance(results[0], int), results
    assert dbsession.scalar(select(func.count()).select_from(Transfer)
                            .where(Transfer.idempotency_key == "one-key")) == 1
    dbsession.expire_all()
    assert dbsession.get(Account, wallet_id).balance == 470
    verify_ok(dbsession)


@pytest.mark.postgres_only
def test_expiry_running_next_to_payments_keeps_the_ledger_sound(dbsession, session_factory,
                                                                programme, make_user):
    resident = make_user()
    now = utcnow()
    wallet = ledger.wallet_account(dbsession, programme.id, resident.id)
    issuer = ledger.system_account_id(dbsession, programme.id, ISSUER)
    for i in range(10):
        ledger.transfer(dbsession, programme_id=programme.id, reason_code="grant",
                        idempotency_key=key(), now=now - timedelta(days=2),
                        postings=[ledger.Posting(issuer, -10),
                                  ledger.Posting(wallet.id, 10, expires_at=now + timedelta(
                                      seconds=-1 if i % 2 else 3600))])
    dbsession.commit()
    shop_id = ledger.merchant_account(dbsession, programme.id, 1).id
    dbsession.commit()

    def work(i):
        if i % 10 == 0:
            return services.run_in_transaction(
                session_factory, lambda s: expiry.expire_account(s, wallet.id, now))
        return services.run_in_transaction(session_factory, lambda s: ledger.transfer(
            s, programme_id=programme.id, reason_code="payment", idempotency_key=f"p{i}",
            now=now, postings=[ledger.Posting(wallet.id, -1), ledger.Posting(shop_id, 1)]).id)

    results = released_together(100, work)
    assert all(isinstance(r, int | InsufficientPoints) for r in results), results
    expired_total = sum(r for i, r in enumerate(results) if i % 10 == 0)
    assert expired_total == 50
    dbsession.expire_all()
    assert dbsession.get(Account, shop_id).balance == 50
    assert dbsession.get(Account, wallet.id).balance == 0
    verify_ok(dbsession)


def test_concurrent_payments_on_either_database(dbsession, session_factory, programme,
                                                make_user):
    """The same design on SQLite: one writer at a time, the busy timeout queues the rest."""
    resident = make_user()
    wallet_id = fund(dbsession, programme, resident, [70, 50])
    shop_id = ledger.merchant_account(dbsession, programme.id, 9).id
    dbsession.commit()

    def pay(i):
        return services.run_in_transaction(session_factory, lambda s: ledger.transfer(
            s, programme_id=programme.id, reason_code="payment", idempotency_key=f"p:{i}",
            postings=[ledger.Posting(wallet_id, -1), ledger.Posting(shop_id, 1)]).id,
            attempts=20)

    results = released_together(200, pay)
    assert all(isinstance(r, int | InsufficientPoints) for r in results), results
    assert sum(isinstance(r, int) for r in results) == 120
    dbsession.expire_all()
    assert dbsession.get(Account, wallet_id).balance == 0
    verify_ok(dbsession)


def _wait_until(engine, query, params):
    """Poll pg_stat_activity until ``query`` returns a row (bounded: 10 s)."""
    import time

    deadline = time.monotonic() + 10
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            if connection.execute(text(query), params).first():
                return True
            connection.rollback()
            time.sleep(0.01)
    return False


@pytest.mark.postgres_only
def test_a_connection_killed_while_waiting_for_the_wallet_leaves_nothing(
        dbsession, engine, session_factory, programme, make_user):
    resident = make_user()
    wallet_id = fund(dbsession, programme, resident, [100])
    shop_id = ledger.merchant_account(dbsession, programme.id, 3).id
    dbsession.commit()
    pid = {}
    outcome = {}
    started = threading.Event()

    def pay():
        session = session_factory()
        try:
            pid["value"] = session.scalar(text("SELECT pg_backend_pid()"))
            started.set()
            ledger.transfer(session, programme_id=programme.id, reason_code="payment",
                            idempotency_key="killed-1",
                            postings=[ledger.Posting(wallet_id, -60),
                                      ledger.Posting(shop_id, 60)])
            session.commit()
            outcome["result"] = "committed"
        except DBAPIError as error:
            outcome["result"] = error
        finally:
            started.set()
            session.close()

    with engine.connect() as holder:
        holder.execute(text("SELECT id FROM points_accounts WHERE id = :id FOR UPDATE"),
                       {"id": wallet_id})
        thread = threading.Thread(target=pay)
        thread.start()
        assert started.wait(timeout=10)
        assert _wait_until(engine, "SELECT 1 FROM pg_stat_activity WHERE pid = :pid "
                           "AND wait_event_type = 'Lock'", {"pid": pid["value"]}), \
            "the payment never waited for the wallet's lock"
        with engine.connect() as killer:
            assert killer.scalar(text("SELECT pg_terminate_backend(:pid)"),
                                 {"pid": pid["value"]})
        holder.rollback()
    thread.join(timeout=30)
    assert isinstance(outcome["result"], DBAPIError)
    dbsession.expire_all()
    assert dbsession.scalar(select(Transfer).where(Transfer.idempotency_key == "killed-1")) \
        is None
    assert dbsession.get(Account, wallet_id).balance == 100
    verify_ok(dbsession)


@pytest.mark.postgres_only
def test_a_connection_killed_after_the_writes_before_commit_leaves_nothing(
        dbsession, engine, session_factory, programme, make_user):
    resident = make_user()
    wallet_id = fund(dbsession, programme, resident, [100])
    shop_id = ledger.merchant_account(dbsession, programme.id, 4).id
    dbsession.commit()
    session = session_factory()
    try:
        backend = session.scalar(text("SELECT pg_backend_pid()"))
        ledger.transfer(session, programme_id=programme.id, reason_code="payment",
                        idempotency_key="killed-2",
                        postings=[ledger.Posting(wallet_id, -60), ledger.Posting(shop_id, 60)])
        session.flush()
        with engine.connect() as killer:
            assert killer.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with pytest.raises(DBAPIError):
            session.commit()
    finally:
        session.close()
    dbsession.expire_all()
    assert dbsession.scalar(select(Transfer).where(Transfer.idempotency_key == "killed-2")) \
        is None
    assert dbsession.get(Account, wallet_id).balance == 100
    assert dbsession.get(Account, shop_id).balance == 0
    verify_ok(dbsession)
