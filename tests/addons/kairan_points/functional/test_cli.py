"""``kairan points verify`` and ``kairan points expire`` against the test database."""

from datetime import timedelta

from kairan_points import ledger
from kairan_points.models import EXPIRED, Account
from sqlalchemy import text

from kairan.db.meta import utcnow
from tests.addons.kairan_points.conftest import give_expiring as grant
from tests.addons.kairan_points.conftest import verify_ok


def test_verify_passes_on_a_sound_ledger_and_fails_on_a_corrupted_one(
        kairan, dbsession, engine, programme, make_user):
    wallet_id = grant(dbsession, programme, make_user(), 40, utcnow() + timedelta(days=3))
    output = kairan("points", "verify")
    assert "the ledger is sound" in output
    assert "FAIL" not in output
    with engine.begin() as connection:
        connection.execute(text("UPDATE points_accounts SET balance = balance + 1 "
                                "WHERE id = :id"), {"id": wallet_id})
    output = kairan("points", "verify", expect=1)
    assert "FAIL every balance equals the sum of its lines: 1" in output
    assert "THE LEDGER HAS DISCREPANCIES" in output


def test_expire_moves_expired_lots_once(kairan, dbsession, make_programme, make_user):
    programme = make_programme()
    now = utcnow()
    wallets = [grant(dbsession, programme, make_user(), 10 * (i + 1),
                     now - timedelta(minutes=1)) for i in range(3)]
    kept = grant(dbsession, programme, make_user(), 5, now + timedelta(days=1))
    output = kairan("points", "expire", "--batch", "2")
    assert "3 wallets hold expired points" in output
    assert "expired 60 points in 3 wallets" in output
    assert "expired 0 points in 0 wallets" in kairan("points", "expire")
    dbsession.expire_all()
    assert [dbsession.get(Account, w).balance for w in wallets] == [0, 0, 0]
    assert dbsession.get(Account, kept).balance == 5
    assert ledger.system_account(dbsession, programme.id, EXPIRED).balance == 60
    assert "the ledger is sound" in kairan("points", "verify")
    verify_ok(dbsession)


def test_expire_refuses_a_time_without_a_zone(kairan):
    assert "give a time zone" in kairan("points", "expire", "--at", "2025-03-01T00:00",
                                        expect=2)
