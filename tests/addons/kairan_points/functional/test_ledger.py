"""The ledger on a real database (SQLite and PostgreSQL): lots, floors, keys, immutability."""

from datetime import UTC, date, datetime, timedelta

import pytest
from kairan_points import expiry, ledger, services
from kairan_points.errors import (
    BudgetExceeded,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidAmount,
    UnknownAccount,
)
from kairan_points.models import (
    EXPIRED,
    ISSUER,
    Account,
    LedgerImmutable,
    Line,
    Lot,
    LotEntry,
    Transfer,
)
from kairan_points.verify import verify_ledger
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from kairan.db.meta import utcnow
from tests.addons.kairan_points.conftest import key, verify_ok


def counts(dbsession):
    dbsession.rollback()
    return tuple(dbsession.scalar(select(func.count()).select_from(m))
                 for m in (Transfer, Line, Lot, LotEntry))


def give(dbsession, programme, user, amount, expires_at=None, now=None):
    """Grant ``amount`` with a chosen lot expiry; committed."""
    wallet = ledger.wallet_account(dbsession, programme.id, user.id)
    issuer = ledger.system_account_id(dbsession, programme.id, ISSUER)
    record = ledger.transfer(
        dbsession, programme_id=programme.id, reason_code="grant", idempotency_key=key(),
        now=now,
        postings=[ledger.Posting(issuer, -amount),
                  ledger.Posting(wallet.id, amount, expires_at=expires_at)])
    dbsession.commit()
    return record


def pay(dbsession, programme, user, amount, merchant_id=1, idempotency_key=None, now=None):
    wallet = ledger.wallet_account(dbsession, programme.id, user.id)
    shop = ledger.merchant_account(dbsession, programme.id, merchant_id)
    return ledger.transfer(
        dbsession, programme_id=programme.id, reason_code="payment",
        idempotency_key=idempotency_key or key(), now=now,
        postings=[ledger.Posting(wallet.id, -amount), ledger.Posting(shop.id, amount)])


def balance(dbsession, account_id):
    dbsession.expire_all()
    return dbsession.get(Account, account_id).balance


def test_a_grant_creates_a_lot_and_balances(dbsession, programme, make_user):
    resident = make_user()
    record = services.grant(dbsession, programme, resident.id, 500, "welcome",
                            actor_id=None, idempotency_key=key())
    dbsession.commit()
    wallet = ledger.wallet_account(dbsession, programme.id, resident.id)
    assert balance(dbsession, wallet.id) == 500
    assert ledger.issued(dbsession, programme.id) == 500
    lot = dbsession.scalars(select(Lot).where(Lot.account_id == wallet.id)).one()
    assert (lot.amount, lot.remaining) == (500, 500)
    # fixed expiry: 00:00 JST on expires_on is 15:00 UTC the day before
    expected = datetime.combine(programme.expires_on - timedelta(days=1),
                                datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
    assert lot.expires_at == expected
    lines = dbsession.scalars(select(Line).where(Line.transfer_id == record.id)).all()
    assert sorted(line.amount for line in lines) == [-500, 500]
    verify_ok(dbsession)


def test_a_payment_spends_the_lots_that_expire_first(dbsession, programme, make_user):
    resident = make_user()
    now = utcnow()
    late = give(dbsession, programme, resident, 300, expires_at=now + timedelta(days=30))
    never = give(dbsession, programme, resident, 100, expires_at=None)
    soon = give(dbsession, programme, resident, 200, expires_at=now + timedelta(days=2))
    record = pay(dbsession, programme, resident, 250)
    dbsession.commit()
    lot_of = {t.id: dbsession.scalars(select(Lot).join(Line, Line.id == Lot.line_id)
                                      .where(Line.transfer_id == t.id)).one()
              for t in (late, never, soon)}
    dbsession.expire_all()
    assert dbsession.get(Lot, lot_of[soon.id].id).remaining == 0
    assert dbsession.get(Lot, lot_of[late.id].id).remaining == 250
    assert dbsession.get(Lot, lot_of[never.id].id).remaining == 100
    spent = dbsession.execute(
        select(LotEntry.lot_id, LotEntry.amount).join(Line, Line.id == LotEntry.line_id)
        .where(Line.transfer_id == record.id).order_by(LotEntry.id)).all()
    assert [tuple(row) for row in spent] == [(lot_of[soon.id].id, -200),
                                            (lot_of[late.id].id, -50)]
    verify_ok(dbsession)


def test_insufficient_points_write_nothing(dbsession, programme, make_user):
    resident = make_user()
    give(dbsession, programme, resident, 100, expires_at=utcnow() + timedelta(days=5))
    before = counts(dbsession)
    with pytest.raises(InsufficientPoints):
        pay(dbsession, programme, resident, 101)
    dbsession.commit()
    assert counts(dbsession) == before
    wallet = ledger.wallet_account(dbsession, programme.id, resident.id)
    assert balance(dbsession, wallet.id) == 100
    verify_ok(dbsession)


def test_expired_lots_cannot_be_spent_and_expire_moves_them(dbsession, programme, make_user):
    resident = make_user()
    now = utcnow()
    give(dbsession, programme, resident, 70, expires_at=now - timedelta(seconds=1),
         now=now - timedelta(days=3))
    give(dbsession, programme, resident, 30, expires_at=now + timedelta(days=3))
    wallet = ledger.wallet_account(dbsession, programme.id, resident.id)
    assert balance(dbsession, wallet.id) == 100
    assert ledger.spendable_balance(dbsession, wallet.id, now) == 30
    with pytest.raises(InsufficientPoints):
        pay(dbsession, programme, resident, 31, now=now)
    dbsession.rollback()

    assert expiry.accounts_with_expired_lots(dbsession, now) == [wallet.id]
    assert expiry.expire_account(dbsession, wallet.id, now) == 70
    dbsession.commit()
    assert expiry.expire_account(dbsession, wallet.id, now) == 0  # idempotent
    dbsession.commit()
    assert balance(dbsession, wallet.id) == 30
    expired = ledger.system_account(dbsession, programme.id, EXPIRED)
    assert balance(dbsession, expired.id) == 70
    assert expiry.accounts_with_expired_lots(dbsession, now) == []
    verify_ok(dbsession)


def test_one_key_one_effect_and_a_reused_key_is_refused(dbsession, programme, make_user):
    resident = make_user()
    give(dbsession, programme, resident, 100, expires_at=utcnow() + timedelta(days=5))
    first = pay(dbsession, programme, resident, 40, idempotency_key="shop-7:abc")
    dbsession.commit()
    again = pay(dbsession, programme, resident, 40, idempotency_key="shop-7:abc")
    dbsession.commit()
    assert again.id == first.id and again.replayed
    before = counts(dbsession)
    with pytest.raises(IdempotencyConflict):
        pay(dbsession, programme, resident, 41, idempotency_key="shop-7:abc")
    dbsession.rollback()
    assert counts(dbsession) == before
    wallet = ledger.wallet_account(dbsession, programme.id, resident.id)
    assert balance(dbsession, wallet.id) == 60
    verify_ok(dbsession)


def test_the_budget_is_never_exceeded(dbsession, make_programme, make_user):
    programme = make_programme(budget=1000)
    resident = make_user()
    services.grant(dbsession, programme, resident.id, 900, "", actor_id=None,
                   idempotency_key=key())
    dbsession.commit()
    with pytest.raises(BudgetExceeded):
        services.grant(dbsession, programme, resident.id, 101, "", actor_id=None,
                       idempotency_key=key())
    dbsession.rollback()
    with pytest.raises(BudgetExceeded):
        ledger.set_budget(dbsession, programme, 899)
    dbsession.rollback()
    ledger.set_budget(dbsession, programme, 1100)
    dbsession.commit()
    services.grant(dbsession, programme, resident.id, 200, "", actor_id=None,
                   idempotency_key=key())
    dbsession.commit()
    assert ledger.issued(dbsession, programme.id) == 1100
    verify_ok(dbsession)


def test_a_correction_returns_points_to_the_budget_and_never_goes_negative(
        dbsession, programme, make_user):
    resident = make_user()
    services.grant(dbsession, programme, resident.id, 50, "", actor_id=None,
                   idempotency_key=key())
    dbsession.commit()
    with pytest.raises(InsufficientPoints):
        services.correct(dbsession, programme, resident.id, 51, "typo", actor_id=None,
                         idempotency_key=key())
    dbsession.rollback()
    services.correct(dbsession, programme, resident.id, 20, "typo", actor_id=None,
                     idempotency_key=key())
    dbsession.commit()
    assert ledger.issued(dbsession, programme.id) == 30
    verify_ok(dbsession)


@pytest.mark.parametrize("amount", [0, -5, 1.5, 10.0, float("nan"), float("inf"), True,
                                    "10", None, 10**13])
def test_bad_amounts_are_refused_before_anything_is_written(dbsession, programme, make_user,
                                                           amount):
    resident = make_user()
    before = counts(dbsession)
    with pytest.raises(InvalidAmount):
        services.grant(dbsession, programme, resident.id, amount, "", actor_id=None,
                       idempotency_key=key())
    dbsession.rollback()
    assert counts(dbsession) == before


def test_unbalanced_and_foreign_transfers_are_refused(dbsession, programme, make_programme,
                                                      make_user):
    resident = make_user()
    wallet = ledger.wallet_account(dbsession, programme.id, resident.id)
    issuer = ledger.system_account_id(dbsession, programme.id, ISSUER)
    with pytest.raises(ValueError):
        ledger.transfer(dbsession, programme_id=programme.id, reason_code="grant",
                        idempotency_key=key(),
                        postings=[ledger.Posting(issuer, -5), ledger.Posting(wallet.id, 4)])
    other = make_programme()
    with pytest.raises(UnknownAccount):
        ledger.transfer(dbsession, programme_id=other.id, reason_code="grant",
                        idempotency_key=key(),
                        postings=[ledger.Posting(issuer, -5), ledger.Posting(wallet.id, 5)])
    dbsession.rollback()
    verify_ok(dbsession)


def test_transfers_are_never_changed_or_deleted_through_the_orm(dbsession, programme,
                                                                make_user):
    resident = make_user()
    record = give(dbsession, programme, resident, 10)
    record.reason = "rewritten"
    with pytest.raises(LedgerImmutable):
        dbsession.flush()
    dbsession.rollback()
    dbsession.delete(dbsession.get(Transfer, record.id))
    with pytest.raises(LedgerImmutable):
        dbsession.flush()
    dbsession.rollback()
    with pytest.raises(LedgerImmutable):
        dbsession.execute(update(Line).values(amount=Line.amount * 2))
    dbsession.rollback()
    verify_ok(dbsession)


def test_the_database_refuses_to_rewrite_history(dbsession, engine, programme, make_user,
                                                 db_backend):
    resident = make_user()
    record = give(dbsession, programme, resident, 10)
    statements = [f"UPDATE points_lines SET amount = amount * 2 WHERE transfer_id = {record.id}",
                  f"UPDATE points_transfers SET reason = 'x' WHERE id = {record.id}"]
    if db_backend == "postgresql":
        statements.append(f"DELETE FROM points_lot_entries WHERE line_id IN "
                          f"(SELECT id FROM points_lines WHERE transfer_id = {record.id})")
    for statement in statements:
        with pytest.raises(DBAPIError, match="never changed"):
            with engine.begin() as connection:
                connection.execute(text(statement))
    verify_ok(dbsession)


def test_the_database_refuses_zero_lines_and_overdrafts(dbsession, engine, programme,
                                                        make_user):
    resident = make_user()
    give(dbsession, programme, resident, 10)
    wallet = ledger.wallet_account(dbsession, programme.id, resident.id)
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(text(f"UPDATE points_accounts SET balance = -1 "
                                    f"WHERE id = {wallet.id}"))
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(text(f"UPDATE points_lots SET remaining = -1 "
                                    f"WHERE account_id = {wallet.id}"))
    record_id = dbsession.scalar(select(Transfer.id))
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(text(f"INSERT INTO points_lines (transfer_id, account_id, amount)"
                                    f" VALUES ({record_id}, {wallet.id}, 0)"))
    verify_ok(dbsession)


@pytest.mark.postgres_only
def test_postgresql_refuses_a_transfer_whose_lines_do_not_balance(dbsession, engine, programme,
                                                                  make_user):
    resident = make_user()
    give(dbsession, programme, resident, 10)
    wallet = ledger.wallet_account(dbsession, programme.id, resident.id)
    record_id = dbsession.scalar(select(Transfer.id))
    with pytest.raises(DBAPIError, match="does not balance"):
        with engine.begin() as connection:
            connection.execute(text(f"INSERT INTO points_lines (transfer_id, account_id, amount)"
                                    f" VALUES ({record_id}, {wallet.id}, 5)"))
    verify_ok(dbsession)


def test_verify_finds_a_corrupted_balance_and_lot(dbsession, engine, programme, make_user):
    resident = make_user()
    give(dbsession, programme, resident, 10)
    wallet = ledger.wallet_account(dbsession, programme.id, resident.id)
    verify_ok(dbsession)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE points_accounts SET balance = 11 WHERE id = {wallet.id}"))
    report = verify_ledger(dbsession)
    failed = {check.name for check in report.checks if not check.ok}
    assert {"account_lines", "account_lots", "zero_sum", "grand_total"} <= failed
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE points_accounts SET balance = 10 WHERE id = {wallet.id}"))
        connection.execute(text(f"UPDATE points_lots SET remaining = 9 "
                                f"WHERE account_id = {wallet.id}"))
    dbsession.rollback()
    report = verify_ledger(dbsession)
    assert {c.name for c in report.checks if not c.ok} == {"account_lots", "lot_entries"}
    assert "THE LEDGER HAS DISCREPANCIES" in "\n".join(report.lines())


def test_a_deleted_resident_leaves_the_ledger_whole(dbsession, programme, make_user):
    from kairan.accounts.models import User

    resident = make_user()
    give(dbsession, programme, resident, 10)
    wallet_id = ledger.wallet_account(dbsession, programme.id, resident.id).id
    dbsession.delete(dbsession.get(User, resident.id))
    dbsession.commit()
    dbsession.expire_all()
    assert dbsession.get(Account, wallet_id).user_id is None
    verify_ok(dbsession)


def test_days_expiry_counts_tokyo_dates(programme):
    programme.expiry_kind = "days"
    programme.expiry_days = 30
    # 2025-03-31 20:00 UTC is already 1 April in Tokyo
    earned = datetime(2025, 3, 31, 20, 0, tzinfo=UTC)
    assert services.expiry_for(programme, earned) == datetime(2025, 4, 30, 15, 0, tzinfo=UTC)
    assert services.display_expiry(services.expiry_for(programme, earned)) == date(2025, 5, 1)


def test_chosen_lots_are_spent_in_the_order_given(dbsession, programme, make_user):
    resident = make_user()
    now = utcnow()
    first = give(dbsession, programme, resident, 100, expires_at=now + timedelta(days=2))
    second = give(dbsession, programme, resident, 100, expires_at=now + timedelta(days=9))
    lot_of = {t.id: dbsession.scalar(select(Lot.id).join(Line, Line.id == Lot.line_id)
                                     .where(Line.transfer_id == t.id))
              for t in (first, second)}
    wallet = ledger.wallet_account(dbsession, programme.id, resident.id)
    shop = ledger.merchant_account(dbsession, programme.id, 7)
    # the later lot first, as the caller chose (the default would spend the earlier one)
    record = ledger.transfer(
        dbsession, programme_id=programme.id, reason_code="payment", idempotency_key=key(),
        postings=[ledger.Posting(wallet.id, -150,
                                 lot_ids=(lot_of[second.id], lot_of[first.id])),
                  ledger.Posting(shop.id, 150)])
    dbsession.commit()
    spent = dbsession.execute(
        select(LotEntry.lot_id, LotEntry.amount).join(Line, Line.id == LotEntry.line_id)
        .where(Line.transfer_id == record.id).order_by(LotEntry.id)).all()
    assert [tuple(row) for row in spent] == [(lot_of[second.id], -100),
                                            (lot_of[first.id], -50)]
    with pytest.raises(InsufficientPoints):  # the chosen lots hold 50 more, not 60
        ledger.transfer(
            dbsession, programme_id=programme.id, reason_code="payment",
            idempotency_key=key(),
            postings=[ledger.Posting(wallet.id, -60, lot_ids=(lot_of[first.id],)),
                      ledger.Posting(shop.id, 60)])
    dbsession.rollback()
    verify_ok(dbsession)


def test_a_refusal_leaves_the_transaction_usable(dbsession, programme, make_user):
    """A refused transfer writes nothing and the same transaction goes on and commits
    (on PostgreSQL the database function answers the refusal instead of raising)."""
    resident, other = make_user(), make_user()
    give(dbsession, programme, resident, 100)
    before = counts(dbsession)
    with pytest.raises(InsufficientPoints):
        pay(dbsession, programme, resident, 101)
    with pytest.raises(UnknownAccount):
        ledger.transfer(dbsession, programme_id=programme.id, reason_code="payment",
                        idempotency_key=key(),
                        postings=[ledger.Posting(10**6, -1), ledger.Posting(10**6 + 1, 1)])
    pay(dbsession, programme, resident, 40)
    services.grant(dbsession, programme, other.id, 5, "after the refusals", actor_id=None,
                   idempotency_key=key())
    dbsession.commit()
    assert counts(dbsession) == (before[0] + 2, before[1] + 4, before[2] + 1, before[3] + 2)
    assert balance(dbsession, ledger.wallet_account(dbsession, programme.id,
                                                    resident.id).id) == 60
    verify_ok(dbsession)


@pytest.mark.postgres_only
def test_on_postgresql_a_transfer_is_one_statement(dbsession, engine, programme, make_user):
    from sqlalchemy import event

    resident = make_user()
    give(dbsession, programme, resident, 100)
    wallet = ledger.wallet_account(dbsession, programme.id, resident.id)
    shop = ledger.merchant_account(dbsession, programme.id, 3)
    dbsession.commit()
    statements = []

    def seen(connection, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        ledger.transfer(dbsession, programme_id=programme.id, reason_code="payment",
                        idempotency_key=key(),
                        postings=[ledger.Posting(wallet.id, -30), ledger.Posting(shop.id, 30)])
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 1 and "points_transfer(" in statements[0]
    dbsession.commit()
    assert balance(dbsession, wallet.id) == 70
    verify_ok(dbsession)
