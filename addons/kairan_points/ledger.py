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
             actor_id=None, on_behalf_of=None, related_transfer_id=None, now=None):
    """Move points: one ``Transfer`` with one line per ``Posting``; return it.

    The same ``idempotency_key`` with the same values returns the first
    transfer (``transfer.replayed`` is True); with other values it raises
    ``IdempotencyConflict``. Refusals (``PointsRefused``) leave the
    transaction untouched; ``LedgerConflict`` means roll back and retry.
    """
    now = now or utcnow()
    _validate(postings, reason_code, reason, idempotency_key)
    postings = [Posting(p.account_id, int(p.amount), p.expires_at, tuple(p.lot_ids))
                for p in postings]
    digest = request_hash(
        programme=programme_id, reason_code=reason_code, reason=reason or "",
        actor=actor_id, on_behalf_of=on_behalf_of, related=related_transfer_id,
        postings=sorted((p.account_id, p.amount,
                         p.expires_at.isoformat() if p.expires_at else None,
                         list(p.lot_ids)) for p in postings),
    )
    # The key is looked up once, under the locks: a retry that waited for the first
    # attempt sees its transfer then (a lookup before the locks would only spare a
    # replay the wait, at the cost of a round trip for every transfer).
    accounts = lock_accounts(dbsession, [p.account_id for p in postings])
    found = _existing(dbsession, idempotency_key, digest)
    if found is not None:
        found.replayed = True
        return found
    for posting in postings:
        account = accounts.get(posting.account_id)
        if account is None or account.programme_id != programme_id:
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
                    else spendable_lots(dbsession, account.id, now))
            taken = _take(lots, -posting.amount)
            if taken is None:
                raise InsufficientPoints()
            consumed[posting.account_id] = taken

    record = Transfer(
        programme_id=programme_id, reason_code=reason_code, reason=reason or "",
        actor_id=actor_id, on_behalf_of=on_behalf_of, at=now,
        idempotency_key=idempotency_key, request_hash=digest,
        related_transfer_id=related_transfer_id,
    )
    if dbsession.get_bind().dialect.name == "postgresql":
        _write_postgresql(dbsession, record, postings, accounts, consumed, now)
    else:
        dbsession.add(record)
        dbsession.flush()
        _write_rows(dbsession, record.id, postings, accounts, consumed, now)
    expire_cached(dbsession, set(accounts), {lot_id for taken in consumed.values()
                                             for lot_id, _part in taken})
    record.replayed = False
    return record


def _write_postgresql(dbsession, record, postings, accounts, consumed, now):
    """PostgreSQL: the whole of ``_write_rows`` and the transfer's own row in ONE
    statement (data-modifying CTEs over arrays): the transfer, its lines, the guarded
    balance updates, the guarded updates of the lots spent, the new lots and the lot
    entries; it returns the transfer's id and the row counts of the guarded updates,
    checked here (``LedgerConflict`` otherwise). ``record`` (not yet in the session)
    becomes the persistent object of that row without another statement."""
    from sqlalchemy.orm import make_transient_to_detached

    spent = [(account_id, lot_id, part) for account_id, taken in consumed.items()
             for lot_id, part in taken]
    credits = [p for p in postings
               if p.amount > 0 and accounts[p.account_id].kind == WALLET]
    params = {
        "programme": record.programme_id, "reason_code": record.reason_code,
        "reason": record.reason, "actor": record.actor_id,
        "on_behalf_of": record.on_behalf_of, "at": now, "key": record.idempotency_key,
        "digest": record.request_hash, "related": record.related_transfer_id,
        "accounts": [p.account_id for p in postings],
        "amounts": [p.amount for p in postings],
    }
    if spent:
        params.update(spent_accounts=[a for a, _lot, _part in spent],
                      spent_lots=[lot for _a, lot, _part in spent],
                      spent_parts=[part for _a, _lot, part in spent])
    if credits:
        params.update(credit_accounts=[p.account_id for p in credits],
                      credit_amounts=[p.amount for p in credits],
                      credit_expiry=[UTCDateTime().process_bind_param(p.expires_at, None)
                                     for p in credits])
    statement = _write_statement(bool(spent), bool(credits))
    transfer_id, balances, lots, written = dbsession.execute(statement, params).one()
    if balances != len(postings) or lots != len(spent) or \
            written != len(spent) + len(credits):
        raise LedgerConflict()
    record.id = transfer_id
    make_transient_to_detached(record)
    dbsession.add(record)


@functools.cache
def _write_statement(spent, credits):
    """The statement of ``_write_postgresql``, with lots spent and/or new lots (built
    once per kind: parsing it costs more CPU than running it)."""
    from sqlalchemy import text

    ctes = [
        "t AS (INSERT INTO points_transfers (programme_id, reason_code, reason, actor_id, "
        "on_behalf_of, at, idempotency_key, request_hash, related_transfer_id) "
        "VALUES (:programme, :reason_code, :reason, :actor, :on_behalf_of, :at, :key, "
        ":digest, :related) RETURNING id)",
        "l AS (INSERT INTO points_lines (transfer_id, account_id, amount) "
        "SELECT t.id, v.account, v.amount FROM t, unnest(CAST(:accounts AS integer[]), "
        "CAST(:amounts AS bigint[])) WITH ORDINALITY AS v(account, amount, n) "
        "ORDER BY v.n RETURNING id, account_id)",
        "b AS (UPDATE points_accounts AS a SET balance = a.balance + v.amount "
        "FROM unnest(CAST(:accounts AS integer[]), CAST(:amounts AS bigint[])) "
        "AS v(id, amount) WHERE a.id = v.id "
        "AND (a.min_balance IS NULL OR a.balance + v.amount >= a.min_balance) "
        "RETURNING a.id)",
    ]
    entries = []
    if spent:
        ctes.append(
            "s AS (UPDATE points_lots AS o SET remaining = o.remaining - v.part "
            "FROM unnest(CAST(:spent_lots AS bigint[]), CAST(:spent_parts AS bigint[])) "
            "AS v(id, part) WHERE o.id = v.id AND o.remaining >= v.part RETURNING o.id)")
        entries.append(
            "SELECT v.lot, l.id, -v.part, 0, v.n FROM unnest(CAST(:spent_lots AS bigint[]), "
            "CAST(:spent_accounts AS integer[]), CAST(:spent_parts AS bigint[])) "
            "WITH ORDINALITY AS v(lot, account, part, n) JOIN l ON l.account_id = v.account")
    if credits:
        ctes.append(
            "n AS (INSERT INTO points_lots (account_id, line_id, amount, remaining, "
            "expires_at, created) SELECT v.account, l.id, v.amount, v.amount, v.expiry, "
            ":at FROM unnest(CAST(:credit_accounts AS integer[]), "
            "CAST(:credit_amounts AS bigint[]), CAST(:credit_expiry AS timestamp[])) "
            "WITH ORDINALITY AS v(account, amount, expiry, n) "
            "JOIN l ON l.account_id = v.account ORDER BY v.n "
            "RETURNING id, line_id, amount)")
        entries.append("SELECT n.id, n.line_id, n.amount, 1, n.id FROM n")
    if entries:
        ctes.append("e AS (INSERT INTO points_lot_entries (lot_id, line_id, amount) "  # noqa: S608 - constant text, values bound
                    "SELECT lot, line, amount FROM (" + " UNION ALL ".join(entries) +
                    ") AS x(lot, line, amount, k, n) ORDER BY k, n RETURNING 1)")
    counts = ["(SELECT id FROM t)", "(SELECT count(*) FROM b)",
              "(SELECT count(*) FROM s)" if spent else "0",
              "(SELECT count(*) FROM e)" if entries else "0"]
    sql = "WITH " + ", ".join(ctes) + " SELECT " + ", ".join(counts)  # noqa: S608 - constant text
    return text(sql).bindparams(bindparam("at", type_=UTCDateTime))


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


def expire_cached(dbsession, account_ids, lot_ids):
    """Reload the objects of the session that guarded bulk updates (the ledger's and the
    expiry's) made stale."""
    for obj in list(dbsession.identity_map.values()):
        if (isinstance(obj, Account) and obj.id in account_ids) or \
                (isinstance(obj, Lot) and obj.id in lot_ids):
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


def _spendable_sum(account_id, now):
    """The sum of the unexpired lots of ``account_id`` (a column or a value)."""
    return (select(func.coalesce(func.sum(Lot.remaining), 0))
            .where(Lot.account_id == account_id, Lot.remaining > 0,
                   or_(Lot.expires_at.is_(None), Lot.expires_at > now)))


def wallet_balances(dbsession, programme_id, user_id, now=None, merchant_id=None):
    """(id, balance, spendable) of the wallet of ``user_id`` in ``programme_id``, or None:
    one statement (``spendable_balance`` of ``wallet_account``). With ``merchant_id``,
    also ``till_id``: the id of that merchant's account in the programme (None if it
    has none yet), read by the same statement."""
    now = now or utcnow()
    return dbsession.execute(_wallet_statement(merchant_id is not None), {
        "programme_id": programme_id, "user_id": user_id, "now": now,
        "merchant_id": merchant_id}).first()


@functools.cache
def _wallet_statement(with_till):
    """The statement of ``wallet_balances``, built once (building one costs more CPU than
    running it)."""
    programme_id = bindparam("programme_id")
    columns = [Account.id, Account.balance,
               _spendable_sum(Account.id, bindparam("now", type_=UTCDateTime))
               .scalar_subquery().label("spendable")]
    if with_till:
        till = aliased(Account)
        columns.append(select(till.id).where(till.programme_id == programme_id,
                                             till.merchant_id == bindparam("merchant_id"))
                       .scalar_subquery().label("till_id"))
    return select(*columns).where(Account.programme_id == programme_id,
                                  Account.user_id == bindparam("user_id"),
                                  Account.kind == WALLET)


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
    return dbsession.scalar(_spendable_sum(account_id, now)) or 0
