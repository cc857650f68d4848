"""Closing a month: the totals recorded in bulk, and several operators closing the same
month at once (PostgreSQL): one closes it, the others are refused, nothing is doubled."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from kairan_points import ledger
from kairan_points.models import ISSUER
from kairan_points.services import run_in_transaction
from kairan_points.settlement import services as settlement
from kairan_points.settlement.models import SettlementPeriod, SettlementTotal
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker

from tests.addons.kairan_points.conftest import key, verify_ok

JANUARY = settlement.parse_period("2025-01")
IN_JANUARY = datetime(2025, 1, 15, 3, 0, tzinfo=UTC)
AFTER = datetime(2025, 2, 1, tzinfo=UTC)


def move(dbsession, programme, source, target, amount, reason_code, expires_at=None):
    return ledger.transfer(dbsession, programme_id=programme.id, reason_code=reason_code,
                           idempotency_key=key(), now=IN_JANUARY,
                           postings=[ledger.Posting(source, -amount),
                                     ledger.Posting(target, amount, expires_at=expires_at)])


@pytest.fixture
def january(dbsession, make_programme, make_user):
    """Payments and a refund at three merchants in two programmes in January 2025."""
    programmes = [make_programme(), make_programme()]
    for programme in programmes:
        wallet = ledger.wallet_account(dbsession, programme.id, make_user().id).id
        issuer = ledger.system_account_id(dbsession, programme.id, ISSUER)
        move(dbsession, programme, issuer, wallet, 10_000, "grant",
             expires_at=IN_JANUARY + timedelta(days=365))
        for merchant_id in (11, 12, 13):
            shop = ledger.merchant_account(dbsession, programme.id, merchant_id).id
            move(dbsession, programme, wallet, shop, 100 * merchant_id, "payment")
            move(dbsession, programme, wallet, shop, 7, "payment")
        shop = ledger.merchant_account(dbsession, programme.id, 11).id
        move(dbsession, programme, shop, wallet, 50, "refund",
             expires_at=IN_JANUARY + timedelta(days=365))
    dbsession.commit()
    return programmes


def recorded(dbsession):
    dbsession.rollback()
    return sorted((t.merchant_id, t.programme_id, t.payments, t.payment_points, t.refunds,
                   t.refund_points, t.net) for t in dbsession.scalars(select(SettlementTotal)))


def test_closing_records_the_ledgers_totals_once(dbsession, january):
    ledger_rows = settlement.ledger_rows(dbsession, JANUARY)
    assert len(ledger_rows) == 6
    closed = settlement.close_period(dbsession, JANUARY, None, AFTER)
    dbsession.commit()
    assert recorded(dbsession) == sorted((r.merchant_id, r.programme_id, *r.as_tuple())
                                         for r in ledger_rows)
    shop_11 = [r for r in recorded(dbsession) if r[0] == 11]
    assert {r[2:] for r in shop_11} == {(2, 1107, 1, 50, 1057)}
    with pytest.raises(settlement.PeriodClosed):
        settlement.close_period(dbsession, JANUARY, None, AFTER)
    dbsession.rollback()
    assert settlement.reconcile(dbsession, JANUARY).ok
    assert settlement.closed_period(dbsession, JANUARY).id == closed.id
    verify_ok(dbsession)


def test_a_month_without_payments_closes_with_no_rows(dbsession, make_programme):
    make_programme()
    settlement.close_period(dbsession, settlement.parse_period("2024-11"), None, AFTER)
    dbsession.commit()
    assert recorded(dbsession) == []


@pytest.mark.postgres_only
def test_several_operators_closing_one_month_at_once_close_it_once(dbsession, engine,
                                                                   january):
    url = engine.url.render_as_string(hide_password=False)
    own = create_engine(url, pool_size=12, max_overflow=2)
    factory = sessionmaker(bind=own, expire_on_commit=False)
    barrier = threading.Barrier(10)
    results = [None] * 10

    def close(index):
        barrier.wait()
        try:
            results[index] = run_in_transaction(factory, lambda s: settlement.close_period(
                s, JANUARY, 1000 + index, AFTER).id)
        except settlement.PeriodClosed as error:
            results[index] = error

    threads = [threading.Thread(target=close, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    own.dispose()
    closed = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, settlement.PeriodClosed)]
    assert len(closed) == 1 and len(refused) == 9, results
    assert str(refused[0].message) == "This month is closed already."
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(SettlementPeriod)) == 1
    assert dbsession.scalar(select(func.count()).select_from(SettlementTotal)) == 6
    assert len(set(recorded(dbsession))) == 6
    assert settlement.reconcile(dbsession, JANUARY).ok
    verify_ok(dbsession)
