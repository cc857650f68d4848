"""The set-based expiry (``expiry.expire_wallets``, ``kairan points expire``): one transfer
per programme and batch, idempotent, and safe next to payments (PostgreSQL)."""

import threading
import time
from datetime import timedelta

import pytest
from kairan_points import expiry, ledger
from kairan_points.errors import InsufficientPoints, UnknownAccount
from kairan_points.models import EXPIRED, Account, Line, Lot, LotEntry, Transfer
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker

from kairan.db import get_engine
from kairan.db.meta import utcnow
from tests.addons.kairan_points.conftest import give_expiring as give
from tests.addons.kairan_points.conftest import key, verify_ok


def spend(dbsession, programme, wallet_id, shop_id, amount, now):
    return ledger.transfer(dbsession, programme_id=programme.id, reason_code="payment",
                           idempotency_key=key(), now=now,
                           postings=[ledger.Posting(wallet_id, -amount),
                                     ledger.Posting(shop_id, amount)])


def balance(dbsession, account_id):
    dbsession.expire_all()
    return dbsession.get(Account, account_id).balance


def test_one_transfer_per_programme_with_a_line_per_wallet(dbsession, make_programme,
                                                           make_user):
    first, second = make_programme(), make_programme()
    now = utcnow()
    past, future = now - timedelta(minutes=1), now + timedelta(days=1)
    alice, bob = make_user(), make_user()
    a1 = give(dbsession, first, alice, 10, past)
    give(dbsession, first, alice, 15, past)
    give(dbsession, first, alice, 7, future)          # not expired: stays
    b1 = give(dbsession, first, bob, 40, past)
    shop = ledger.merchant_account(dbsession, first.id, 5).id
    # bob spent 25 of his 40 before they expired: 15 are left to expire
    spend(dbsession, first, b1, shop, 25, now - timedelta(hours=1))
    dbsession.commit()
    a2 = give(dbsession, second, alice, 100, past)

    outcome = expiry.expire_wallets(dbsession, [b1, a2, a1], now)
    dbsession.commit()
    assert (outcome.points, outcome.wallets, outcome.lots) == (25 + 15 + 100, 3, 4)
    assert len(outcome.transfers) == 2
    assert (balance(dbsession, a1), balance(dbsession, b1), balance(dbsession, a2)) == \
        (7, 0, 0)
    assert ledger.system_account(dbsession, first.id, EXPIRED).balance == 40
    assert ledger.system_account(dbsession, second.id, EXPIRED).balance == 100
    record = dbsession.get(Transfer, outcome.transfers[0].id)
    assert (record.programme_id, record.reason_code) == (first.id, "expire")
    lines = dict(dbsession.execute(select(Line.account_id, Line.amount)
                                   .where(Line.transfer_id == record.id)).all())
    expired_first = ledger.system_account_id(dbsession, first.id, EXPIRED)
    assert lines == {a1: -25, b1: -15, expired_first: 40}
    entries = dbsession.scalar(select(func.count()).select_from(LotEntry).join(
        Line, Line.id == LotEntry.line_id).where(Line.transfer_id == record.id))
    assert entries == 3
    assert dbsession.scalar(select(func.sum(Lot.remaining)).where(
        Lot.account_id == a1, Lot.expires_at <= now)) == 0

    again = expiry.expire_wallets(dbsession, [a1, b1, a2], now)  # idempotent
    dbsession.commit()
    assert (again.points, again.wallets, again.transfers) == (0, 0, [])
    assert expiry.accounts_with_expired_lots(dbsession, now) == []
    verify_ok(dbsession)


def test_a_large_batch_is_split_into_transfers_of_a_few_wallets(
        dbsession, programme, make_user, monkeypatch):
    monkeypatch.setattr(expiry, "EXPIRY_WALLETS_PER_TRANSFER", 2)
    now = utcnow()
    wallets = [give(dbsession, programme, make_user(), 10 + i, now - timedelta(minutes=1))
               for i in range(5)]
    outcome = expiry.expire_wallets(dbsession, wallets, now)
    dbsession.commit()
    assert (outcome.points, outcome.wallets, len(outcome.transfers)) == (60, 5, 3)
    lines = [dbsession.scalar(select(func.count()).select_from(Line)
                              .where(Line.transfer_id == t.id)) for t in outcome.transfers]
    assert lines == [3, 3, 2]
    assert ledger.system_account(dbsession, programme.id, EXPIRED).balance == 60
    verify_ok(dbsession)


def test_only_wallets_can_be_expired(dbsession, programme):
    shop = ledger.merchant_account(dbsession, programme.id, 9).id
    dbsession.commit()
    with pytest.raises(UnknownAccount):
        expiry.expire_wallets(dbsession, [shop], utcnow())
    dbsession.rollback()
    assert expiry.expire_wallets(dbsession, [], utcnow()).points == 0


def test_the_command_expires_in_batches_across_programmes_and_resumes(
        kairan, dbsession, make_programme, make_user):
    programmes = [make_programme(), make_programme()]
    now = utcnow()
    wallets = [give(dbsession, programmes[i % 2], make_user(), 5 + i, now - timedelta(hours=1))
               for i in range(7)]
    # a first run interrupted after one batch: the batch is committed on its own
    expiry.expire_wallets(dbsession, wallets[:3], now)
    dbsession.commit()
    output = kairan("points", "expire", "--batch", "1", "--jobs", "3")
    assert "4 wallets hold expired points" in output
    assert f"expired {sum(5 + i for i in range(3, 7))} points in 4 wallets" in output
    assert "expired 0 points in 0 wallets" in kairan("points", "expire")
    assert [balance(dbsession, w) for w in wallets] == [0] * 7
    expired = sum(ledger.system_account(dbsession, p.id, EXPIRED).balance for p in programmes)
    assert expired == sum(5 + i for i in range(7))
    verify_ok(dbsession)


# -- next to payments (PostgreSQL) --------------------------------------------------------

@pytest.fixture
def session_factory(engine):
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        own = get_engine({"sqlalchemy.url": url})
    else:
        own = create_engine(url, pool_size=25, max_overflow=5, pool_timeout=60)
    yield sessionmaker(bind=own, expire_on_commit=False)
    own.dispose()


@pytest.mark.postgres_only
def test_an_expiry_waits_for_a_payment_that_locked_the_wallet_first(
        dbsession, session_factory, programme, make_user):
    now = utcnow()
    wallet = give(dbsession, programme, make_user(), 100, now - timedelta(seconds=1))
    shop = ledger.merchant_account(dbsession, programme.id, 3).id
    dbsession.commit()
    paying = session_factory()
    # the payment ran just before the lot expired and still holds the wallet's lock
    spend(paying, programme, wallet, shop, 30, now - timedelta(seconds=2))
    outcome = {}

    def expire():
        with session_factory() as session:
            outcome["expired"] = expiry.expire_wallets(session, [wallet], now)
            session.commit()

    worker = threading.Thread(target=expire)
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive()  # waiting for the payment's lock
    paying.commit()
    paying.close()
    worker.join(30)
    assert outcome["expired"].points == 70  # read under the lock: after the payment
    assert balance(dbsession, wallet) == 0
    assert balance(dbsession, shop) == 30
    verify_ok(dbsession)


@pytest.mark.postgres_only
def test_payments_racing_the_expiry_never_spend_an_expired_point_twice(
        dbsession, session_factory, make_programme, make_user):
    from kairan_points.services import run_in_transaction

    programme = make_programme()
    now = utcnow()
    expires = now - timedelta(seconds=1)
    wallets = [give(dbsession, programme, make_user(), 50, expires) for _ in range(40)]
    shop = ledger.merchant_account(dbsession, programme.id, 4).id
    dbsession.commit()
    results = {}

    def pay(index):
        barrier.wait()
        for wallet in wallets[index::20]:
            try:
                # a payment that began before the expiry moment (it may still spend the lot)
                run_in_transaction(session_factory, lambda s, w=wallet: spend(
                    s, programme, w, shop, 20, expires - timedelta(seconds=1)))
                results[wallet] = 20
            except InsufficientPoints:
                results[wallet] = 0

    def expire(half):
        barrier.wait()
        mine = wallets[half * 20:(half + 1) * 20]
        for start in range(0, len(mine), 5):
            run_in_transaction(session_factory, lambda s, ids=mine[start:start + 5]:
                               expiry.expire_wallets(s, ids, now))

    barrier = threading.Barrier(22)
    # two expiry workers on other wallets of the same programme, as --jobs 2 runs them
    threads = [threading.Thread(target=pay, args=(i,)) for i in range(20)]
    threads += [threading.Thread(target=expire, args=(half,)) for half in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert len(results) == 40
    paid = sum(results.values())
    expired = ledger.system_account(dbsession, programme.id, EXPIRED).balance
    assert [balance(dbsession, w) for w in wallets] == [0] * 40
    assert balance(dbsession, shop) == paid
    assert paid + expired == 40 * 50
    verify_ok(dbsession)
