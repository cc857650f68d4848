"""The double-entry ledger: ``transfer`` is the only way points move.

How one transfer keeps its promises, on PostgreSQL and SQLite alike:

1. Validate everything that needs no database (amounts, the sum, the key).
2. Lock the accounts it touches, in ascending id order, so two transfers
   never wait for each other in a cycle (no deadlocks from ordering).
   PostgreSQL: ``SELECT ... ORDER BY id FOR UPDATE``. SQLite has no row
   locks but one writer at a time: a no-op ``UPDATE`` of the same rows
   takes the database's write lock, so everything read after it is current
   and stays current until commit (``busy_timeout`` queues the others).
3. Look up the idempotency key, under the lock only: a retry that waited
   for the first attempt sees its transfer now and returns it.
4. Check floors (a wallet never below 0, the issuing account never below
   ``-budget``) and, for a wallet debit, the unexpired lots, first to
   expire first. A refusal raises ``PointsRefused`` before any write.
5. Write the transfer, its lines, the new lots and the lot entries, and
   move the balances with guarded updates (one statement for all the
   balances, one for all the lots spent; their row counts are checked).
   The CHECK constraints (a line is never 0, a balance never below its
   floor, a lot never below 0) are the database's last word if any of this
   were ever wrong.

Every lot is only ever touched while its account's row is locked, which is
what makes the lot arithmetic safe under concurrency.

On PostgreSQL, steps 2 to 5 are one call of the database function
``points_transfer`` (migration kairan_points_0008, with generic plans since
0009; called by ``kairan_points.ledger_postgresql``): one round trip instead of
four, the same checks in the same order, refusals returned rather than raised so
that the transaction stays usable. SQLite runs them here, one statement each.
"""

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from numbers import Integral

from sqlalchemy import (
    BigInteger,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from kairan.db.meta import UTCDateTime, utcnow
from kairan_points.errors import (
    BudgetExceeded,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidAmount,
    LedgerConflict,
    UnknownAccount,
)
from kairan_points.ledger_postgresql import transfer_postgresql
from kairan_points.models import (
    BRIDGE,
    EXPIRED,
    ISSUER,
    WALLET,
    Account,
    Line,
    Lot,
    LotEntry,
    Transfer,
)

# The largest amount one line may carry: far above any budget a city sets,
# far below the 2**63 a BIGINT holds, so a sum of many lines cannot overflow.
LEDGER_MAX = 10**12
REASON_CODE_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
KEY_MAX = 200


@dataclass(frozen=True)
class Posting:
    """One requested line: ``amount`` (signed) on ``account_id``.

    ``expires_at``: for a credit to a wallet, when the new lot expires.
    ``lot_ids``: for a debit from a wallet, spend exactly these lots, in
    this order (the expiry job); otherwise the unexpired lots that expire
    first are spent.
    """

    account_id: int
    amount: int
    expires_at: datetime | None = None
    lot_ids: tuple = ()


def check_amount(value, limit=LEDGER_MAX):
    """``value`` as an int if it is a whole number from 1 to ``limit``; else InvalidAmount.

    bool is refused (True is an int in Python), and so are floats, even
    whole ones: an amount that arrived as 10.0 was not typed as points.
    """
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InvalidAmount()
    value = int(value)
    if value < 1:
        raise InvalidAmount()
    if value > limit:
        raise InvalidAmount(_over_limit(limit))
    return value


def _over_limit(limit):
    from kairan.i18n.translation import _

    return _("The amount may be at most ${limit} points.", mapping={"limit": f"{limit:,}"})


def request_hash(**values):
    """A digest of what a transfer asks for, to tell a retry from a reused key."""
    text = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _validate(postings, reason_code, reason, idempotency_key):
    if not postings or len(postings) < 2:
        raise ValueError("a transfer needs at least two lines")
    seen = set()
    for posting in postings:
        if posting.account_id in seen:
            raise ValueError("one line per account in a transfer")
        seen.add(posting.account_id)
        amount = posting.amount
        if isinstance(amount, bool) or not isinstance(amount, Integral) or amount == 0:
            raise InvalidAmount()
        check_amount(abs(int(amount)))
    if sum(int(p.amount) for p in postings) != 0:
        raise ValueError("the lines of a transfer must sum to zero")
    if not REASON_CODE_RE.match(reason_code or ""):
        raise ValueError(f"reason code {reason_code!r}: lower-case letters, digits, '_.-'")
    if len(reason or "") > 500:
        raise ValueError("a reason is at most 500 characters")
    if not idempotency_key or len(idempotency_key) > KEY_MAX:
        raise ValueError(f"an idempotency key is 1 to {KEY_MAX} characters")


def _existing(dbsession, idempotency_key, digest):
    """The transfer made with this key before, or None; IdempotencyConflict if it asked
    for something else. Only the id and the digest are read unless there is one."""
    found = dbsession.execute(_existing_statement(), {"key": idempotency_key}).first()
    if found is None:
        return None
    if found.request_hash != digest:
        raise IdempotencyConflict()
    return dbsession.get(Transfer, found.id)


@functools.cache
def _existing_statement():
    return select(Transfer.id, Transfer.request_hash).where(
        Transfer.idempotency_key == bindparam("key"))


def lock_accounts(dbsession, account_ids):
    """Lock the rows of ``account_ids`` in ascending id order; return {id: row tuple}."""
    ids = sorted(set(account_ids))
    if dbsession.get_bind().dialect.name == "sqlite":
        # Take SQLite's single write lock now (see the module docstring).
        dbsession.execute(
            update(Account).where(Account.id.in_(ids)).values(balance=Account.balance)
            .execution_options(synchronize_session=False)
        )
    return {row.id: row for row in dbsession.execute(_lock_statement(), {"ids": ids})}


@functools.cache
def _lock_statement():
    return (
        select(Account.id, Account.programme_id, Account.kind, Account.balance,
               Account.min_balance)
        .where(Account.id.in_(bindparam("ids", expanding=True)))
        .order_by(Account.id)
        .with_for_update()
    )


def spendable_lots(dbsession, account_id, now):
    """[(lot id, remaining)] of unexpired lots, the first to expire first (no expiry last)."""
    return [(row.id, row.remaining) for row in dbsession.execute(
        _lots_statement(), {"account_id": account_id, "now": now})]


@functools.cache
def _lots_statement():
    return (
        select(Lot.id, Lot.remaining)
        .where(Lot.account_id == bindparam("account_id"), Lot.remaining > 0,
               or_(Lot.expires_at.is_(None), Lot.expires_at > bindparam("now", type_=UTCDateTime)))
        .order_by(Lot.expires_at.is_(None), Lot.expires_at, Lot.id)
    )


def _chosen_lots(dbsession, account_id, lot_ids):
    rows = dict(dbsession.execute(
        select(Lot.id, Lot.remaining).where(Lot.account_id == account_id,
                                            Lot.id.in_(lot_ids), Lot.remaining > 0)
    ).all())
    return [(lot_id, rows[lot_id]) for lot_id in lot_ids if lot_id in rows]


def _take(lots, needed):
    """[(lot id, amount taken)] covering ``needed`` from ``lots`` in order, or None."""
    taken = []
    for lot_id, remaining in lots:
        if needed == 0:
            break
        part = min(remaining, needed)
        taken.append((lot_id, part))
        needed -= part
    return taken if needed == 0 else None


def transfer(dbsession, *, programme_id, postings, reason_code, idempotency_key, reason="",
             actor_id=None, on_behalf_of=None, related_transfer_id=None, now=None,
             with_row=None, then_row=None):
    """Move points: one ``Transfer`` with one line per ``Posting``; return it.

    The same ``idempotency_key`` with the same values returns the first
    transfer (``transfer.replayed`` is True); with other values it raises
    ``IdempotencyConflict``. Refusals (``PointsRefused``) leave the
    transaction untouched; ``LedgerConflict`` means roll back and retry.

    ``with_row``: ``(table, values)``, a row that records what the transfer was for
    (a payment), inserted with a new transfer only, its ``transfer_id`` column set to
    the transfer's id (on PostgreSQL in the same statement); its ``id`` is then
    ``transfer.row_id`` (None when the transfer is replayed). ``then_row``:
    ``(table, values, column, prefix)``, a row inserted after that one (the audit entry
    of a payment), its ``column`` ``prefix`` followed by that row's id; with
    ``with_row`` only.
    """
    now = now or utcnow()
    _validate(postings, reason_code, reason, idempotency_key)
    if then_row is not None:
        if with_row is None:
            raise ValueError("then_row follows with_row")
        then_table, then_values, column, prefix = then_row
        then_row = (then_table, {k: v for k, v in then_values.items() if k != column},
                    column, prefix)
    postings = [Posting(p.account_id, int(p.amount), p.expires_at, tuple(p.lot_ids))
                for p in postings]
    digest = request_hash(
        programme=programme_id, reason_code=reason_code, reason=reason or "",
        actor=actor_id, on_behalf_of=on_behalf_of, related=related_transfer_id,
        postings=sorted((p.account_id, p.amount,
                         p.expires_at.isoformat() if p.expires_at else None,
                         list(p.lot_ids)) for p in postings),
    )
    record = Transfer(
        programme_id=programme_id, reason_code=reason_code, reason=reason or "",
        actor_id=actor_id, on_behalf_of=on_behalf_of, at=now,
        idempotency_key=idempotency_key, request_hash=digest,
        related_transfer_id=related_transfer_id,
    )
    if dbsession.get_bind().dialect.name == "postgresql":
        found = transfer_postgresql(dbsession, record, postings, with_row, then_row)
        spent_lots = None  # not known here: every cached lot of these accounts
    else:
        found, spent_lots = _transfer_sqlite(dbsession, record, postings)
        if found is None and with_row is not None:
            table, values = with_row
            record.row_id = dbsession.execute(
                insert(table).values({**values, "transfer_id": record.id})
                .returning(table.c.id)).scalar_one()
            if then_row is not None:
                then_table, then_values, column, prefix = then_row
                dbsession.execute(insert(then_table).values(
                    {**then_values, column: f"{prefix}{record.row_id}"}))
    if found is not None:
        found.replayed, found.row_id = True, None
        return found
    expire_cached(dbsession, {p.account_id for p in postings}, spent_lots)
    record.replayed = False
    return record


def _transfer_sqlite(dbsession, record, postings):
    """SQLite: the steps of the module docstring in Python, one statement each. Return
    (the earlier transfer of the same key or None, the ids of the lots spent)."""
    accounts = lock_accounts(dbsession, [p.account_id for p in postings])
    found = _existing(dbsession, record.idempotency_key, record.request_hash)
    if found is not None:
        return found, set()
    for posting in postings:
        account = accounts.get(posting.account_id)
        if account is None or account.programme_id != record.programme_id:
            raise UnknownAccount()

    consumed = {}
    for posting in postings:
        account = accounts[posting.account_id]
        if posting.amount > 0:
            continue
        if account.min_balance is not None and \
                account.balance + posting.amount < account.min_balance:
            raise BudgetExceeded() if account.kind == ISSUER else InsufficientPoints()
        if account.kind == WALLET:
            lots = (_chosen_lots(dbsession, account.id, posting.lot_ids) if posting.lot_ids
                    else spendable_lots(dbsession, account.id, record.at))
            taken = _take(lots, -posting.amount)
            if taken is None:
                raise InsufficientPoints()
            consumed[posting.account_id] = taken

    dbsession.add(record)
    dbsession.flush()
    _write_rows(dbsession, record.id, postings, accounts, consumed, record.at)
    return None, {lot_id for taken in consumed.values() for lot_id, _part in taken}


def _by_id(column, amounts):
    """``CASE column WHEN id THEN amount ... END`` (BIGINT) of {id: amount}."""
    return case({key: literal(value, BigInteger) for key, value in amounts.items()},
                value=column)


def _write_rows(dbsession, transfer_id, postings, accounts, consumed, now):
    """The lines, the balances, the lots and the lot entries of a transfer, in Core
    statements (no ORM objects): one INSERT of the lines (RETURNING their ids), one
    guarded UPDATE of every balance, one guarded UPDATE of every lot spent, one INSERT
    of the new lots (RETURNING) and one of the lot entries. The guarded updates' row
    counts are checked (``LedgerConflict`` otherwise)."""
    lines_table, accounts_table = Line.__table__, Account.__table__
    lots_table, entries_table = Lot.__table__, LotEntry.__table__
    line_of = dict(dbsession.execute(
        insert(lines_table)
        .values([{"transfer_id": transfer_id, "account_id": p.account_id, "amount": p.amount}
                 for p in postings])
        .returning(lines_table.c.account_id, lines_table.c.id)).all())

    amounts = {p.account_id: p.amount for p in postings}
    delta = _by_id(accounts_table.c.id, amounts)
    result = dbsession.execute(
        update(accounts_table)
        .where(accounts_table.c.id.in_(sorted(amounts)),
               or_(accounts_table.c.min_balance.is_(None),
                   accounts_table.c.balance + delta >= accounts_table.c.min_balance))
        .values(balance=accounts_table.c.balance + delta))
    if result.rowcount != len(amounts):
        raise LedgerConflict()

    entries = []
    spent = {}
    for account_id, taken in consumed.items():
        for lot_id, part in taken:
            spent[lot_id] = part
            entries.append({"lot_id": lot_id, "line_id": line_of[account_id],
                            "amount": -part})
    if spent:
        part = _by_id(lots_table.c.id, spent)
        result = dbsession.execute(
            update(lots_table)
            .where(lots_table.c.id.in_(sorted(spent)), lots_table.c.remaining >= part)
            .values(remaining=lots_table.c.remaining - part))
        if result.rowcount != len(spent):
            raise LedgerConflict()

    credits = [p for p in postings
               if p.amount > 0 and accounts[p.account_id].kind == WALLET]
    if credits:
        lot_of = dict(dbsession.execute(
            insert(lots_table)
            .values([{"account_id": p.account_id, "line_id": line_of[p.account_id],
                      "amount": p.amount, "remaining": p.amount,
                      "expires_at": p.expires_at, "created": now} for p in credits])
            .returning(lots_table.c.account_id, lots_table.c.id)).all())
        entries.extend({"lot_id": lot_of[p.account_id], "line_id": line_of[p.account_id],
                        "amount": p.amount} for p in credits)
    if entries:
        dbsession.execute(insert(entries_table), entries)


def expire_cached(dbsession, account_ids, lot_ids=None):
    """Reload the objects of the session that guarded bulk updates (the ledger's and the
    expiry's) made stale: the accounts ``account_ids`` and the lots ``lot_ids`` (None:
    every lot of those accounts)."""
    for obj in list(dbsession.identity_map.values()):
        if (isinstance(obj, Account) and obj.id in account_ids) or (isinstance(obj, Lot) and (
                vars(obj).get("account_id") in account_ids if lot_ids is None
                else obj.id in lot_ids)):
            dbsession.expire(obj)


# -- accounts -------------------------------------------------------------------------

def _insert_ignoring_duplicates(dbsession, values):
    dialect = dbsession.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    dbsession.execute(module.insert(Account).values(**values).on_conflict_do_nothing())


def wallet_account(dbsession, programme_id, user_id, create=True):
    """The wallet of ``user_id`` in ``programme_id`` (created empty if ``create``), or None."""
    query = select(Account).where(Account.programme_id == programme_id,
                                  Account.user_id == user_id, Account.kind == WALLET)
    account = dbsession.scalars(query).first()
    if account is None and create:
        _insert_ignoring_duplicates(dbsession, dict(
            programme_id=programme_id, kind=WALLET, user_id=user_id, balance=0,
            min_balance=0, created=utcnow()))
        account = dbsession.scalars(query).first()
    return account


def merchant_account(dbsession, programme_id, merchant_id, create=True):
    """The account of merchant ``merchant_id`` in ``programme_id``."""
    query = select(Account).where(Account.programme_id == programme_id,
                                  Account.merchant_id == merchant_id)
    account = dbsession.scalars(query).first()
    if account is None and create:
        _insert_ignoring_duplicates(dbsession, dict(
            programme_id=programme_id, kind="merchant", merchant_id=merchant_id, balance=0,
            min_balance=0, created=utcnow()))
        account = dbsession.scalars(query).first()
    return account


def system_account(dbsession, programme_id, kind):
    """The programme's ``issuer``, ``expired`` or ``bridge`` account."""
    if kind not in (ISSUER, EXPIRED, BRIDGE):
        raise ValueError(f"not a system account kind: {kind!r}")
    return dbsession.scalars(
        select(Account).where(Account.programme_id == programme_id, Account.kind == kind)
    ).one()


def create_system_accounts(dbsession, programme):
    now = utcnow()
    for kind, floor in ((ISSUER, -programme.budget), (EXPIRED, 0), (BRIDGE, None)):
        dbsession.add(Account(programme_id=programme.id, kind=kind, balance=0,
                              min_balance=floor, created=now))
    dbsession.flush()


def set_budget(dbsession, programme, budget):
    """Change the budget; refused (BudgetExceeded) below the points already issued.

    One guarded update of the issuing account's floor: it waits for any
    grant holding the row and then sees its result, so a grant and a budget
    cut can never together go past the new budget.
    """
    budget = check_amount(budget) if budget else 0
    result = dbsession.execute(
        update(Account)
        .where(Account.programme_id == programme.id, Account.kind == ISSUER,
               Account.balance >= -budget)
        .values(min_balance=-budget)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise BudgetExceeded()
    programme.budget = budget
    expire_cached(dbsession, {system_account_id(dbsession, programme.id, ISSUER)}, set())


def system_account_id(dbsession, programme_id, kind):
    return dbsession.scalar(select(Account.id).where(Account.programme_id == programme_id,
                                                     Account.kind == kind))


def issued(dbsession, programme_id):
    """Points the programme has issued, net of corrections: minus its issuing balance."""
    return -(dbsession.scalar(
        select(Account.balance).where(Account.programme_id == programme_id,
                                      Account.kind == ISSUER)) or 0)


def spendable_sum(account_id, now):
    """A SELECT of the sum of the unexpired lots of ``account_id`` (a column or a value;
    0 when there are none), for statements that read a wallet's spendable points."""
    return (select(func.coalesce(func.sum(Lot.remaining), 0))
            .where(Lot.account_id == account_id, Lot.remaining > 0,
                   or_(Lot.expires_at.is_(None), Lot.expires_at > now)))


def wallet_balances(dbsession, programme_id, user_id, now=None):
    """(id, balance, spendable) of the wallet of ``user_id`` in ``programme_id``, or None:
    one statement (``spendable_balance`` of ``wallet_account``)."""
    now = now or utcnow()
    return dbsession.execute(_wallet_statement(), {
        "programme_id": programme_id, "user_id": user_id, "now": now}).first()


@functools.cache
def _wallet_statement():
    """The statement of ``wallet_balances``, built once (building one costs more CPU than
    running it)."""
    return select(Account.id, Account.balance,
                  spendable_sum(Account.id, bindparam("now", type_=UTCDateTime))
                  .scalar_subquery().label("spendable")).where(
        Account.programme_id == bindparam("programme_id"),
        Account.user_id == bindparam("user_id"), Account.kind == WALLET)


def till_id_of(programme_id):
    """A scalar subquery: the id of the account of the merchant ``:merchant_id`` (a bound
    parameter) in ``programme_id`` (a column or a value), NULL if it has none yet."""
    till = aliased(Account)
    return (select(till.id).where(till.programme_id == programme_id,
                                  till.merchant_id == bindparam("merchant_id"))
            .scalar_subquery())


def merchant_account_id(dbsession, programme_id, merchant_id):
    """The id of ``merchant_account`` (created if missing), without loading the row."""
    found = dbsession.scalar(select(Account.id).where(Account.programme_id == programme_id,
                                                      Account.merchant_id == merchant_id))
    return found if found is not None else \
        merchant_account(dbsession, programme_id, merchant_id).id


def spendable_balance(dbsession, account_id, now=None):
    """The points of a wallet that have not expired (the balance may still hold expired
    lots until ``kairan points expire`` moves them)."""
    now = now or utcnow()
    return dbsession.scalar(spendable_sum(account_id, now)) or 0
