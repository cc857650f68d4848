"""Expiry: moving the lots past their expiry into each programme's expired account.

``expire_wallets`` is set-based (``kairan points expire`` drives it in batches): the
wallets of a batch are locked in id order with the ledger's own ``lock_accounts``, their
expired lots read under the lock, and per programme one transfer for every
``EXPIRY_WALLETS_PER_TRANSFER`` wallets (a line per wallet, one to the expired account) is
written with bulk statements; the expired account is credited once, by the batch's
last statement, so two batches can run at once without a deadlock. It keeps every
guarantee of ``kairan_points.ledger`` (idempotent: a second run finds no lot left).
"""

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, insert, or_, select, text, update

from kairan_points.errors import LedgerConflict, UnknownAccount
from kairan_points.ledger import (
    Posting,
    check_amount,
    expire_cached,
    lock_accounts,
    request_hash,
)
from kairan_points.models import EXPIRED, WALLET, Account, Line, Lot, LotEntry, Transfer


def accounts_with_expired_lots(dbsession, now, after_id=0, limit=500):
    """Ids of wallets holding lots past their expiry, ascending, after ``after_id``."""
    return list(dbsession.scalars(
        select(Lot.account_id)
        .where(Lot.remaining > 0, Lot.expires_at <= now, Lot.account_id > after_id)
        .group_by(Lot.account_id)
        .order_by(Lot.account_id)
        .limit(limit)
    ))


def expire_account(dbsession, account_id, now):
    """Move the wallet's expired lots to its programme's expired account; return the points.

    ``expire_wallets`` for one wallet (the same locks in the same order): idempotent
    and safe next to payments; a second run finds none left.
    """
    return expire_wallets(dbsession, [account_id], now).points


def count_wallets_with_expired_lots(dbsession, now):
    """How many wallets hold lots past their expiry (for the progress of ``expire``)."""
    return dbsession.scalar(
        select(func.count(func.distinct(Lot.account_id)))
        .where(Lot.remaining > 0, Lot.expires_at <= now)
    ) or 0


# Wallets in one expiry transfer. PostgreSQL's deferred check that a transfer balances
# sums the transfer's lines once for each line at commit (lines squared): transfers of
# a hundred wallets keep that small, while a batch still locks and writes in bulk.
EXPIRY_WALLETS_PER_TRANSFER = 100


@dataclass
class Expired:
    """What ``expire_wallets`` moved: ``points`` out of ``wallets`` wallets, ``lots`` lots."""

    points: int = 0
    wallets: int = 0
    lots: int = 0
    transfers: list = None


def expire_wallets(dbsession, account_ids, now):
    """Move the expired lots of the wallets ``account_ids`` to their programmes' expired
    accounts, set-based: per programme, one transfer for every
    ``EXPIRY_WALLETS_PER_TRANSFER`` wallets, with one line per wallet and one to the
    expired account. Return an ``Expired``.

    The same promises as ``transfer``: every wallet is locked first, in ascending id
    order (the order every payment uses, so no deadlock); the expired lots are read
    under those locks, so a payment that locked a wallet first has either spent a lot
    or not, and a payment that comes after waits and then finds the lot moved. The
    programme's expired account is only ever credited, and only here, always by the
    last statement of the batch (a guarded update, which takes its row lock then):
    so every expiry takes its locks in the same order (wallets ascending, then the
    expired account), no deadlock either, and two batches of other wallets can run at
    once, waiting on each other only for that last update. Lines, lot entries, lots
    and balances
    are written in bulk (PostgreSQL: ``UPDATE ... FROM unnest(...)``) with guarded
    updates whose row counts are checked (``LedgerConflict`` otherwise). Idempotent:
    a lot moved once has nothing left, so a second run finds nothing; the idempotency
    key names the exact lots, so a retried batch cannot move them twice.
    """
    outcome = Expired(transfers=[])
    account_ids = sorted(set(account_ids))
    if not account_ids:
        return outcome
    owners = dict(dbsession.execute(
        select(Account.id, Account.programme_id)
        .where(Account.id.in_(account_ids), Account.kind == WALLET)).all())
    if len(owners) != len(account_ids):
        raise UnknownAccount()
    expired_ids = dict(dbsession.execute(
        select(Account.programme_id, Account.id)
        .where(Account.programme_id.in_(set(owners.values())), Account.kind == EXPIRED)).all())
    lock_accounts(dbsession, account_ids)
    lots = dbsession.execute(
        select(Lot.id, Lot.account_id, Lot.remaining)
        .where(Lot.account_id.in_(account_ids), Lot.remaining > 0, Lot.expires_at <= now)
        .order_by(Lot.account_id, Lot.expires_at, Lot.id)
    ).all()
    by_programme = {}
    for lot_id, account_id, remaining in lots:
        wallets = by_programme.setdefault(owners[account_id], {})
        wallets.setdefault(account_id, []).append((lot_id, remaining))
    credits = {}
    for programme_id in sorted(by_programme):
        wallets = by_programme[programme_id]
        ordered = sorted(wallets)
        for start in range(0, len(ordered), EXPIRY_WALLETS_PER_TRANSFER):
            chunk = {account_id: wallets[account_id]
                     for account_id in ordered[start:start + EXPIRY_WALLETS_PER_TRANSFER]}
            outcome.transfers.append(_expire_in_programme(
                dbsession, programme_id, expired_ids[programme_id], chunk, now))
        for taken in wallets.values():
            credits[expired_ids[programme_id]] = credits.get(expired_ids[programme_id], 0) \
                + sum(part for _lot, part in taken)
            outcome.points += sum(part for _lot, part in taken)
            outcome.lots += len(taken)
        outcome.wallets += len(wallets)
    for expired_id in sorted(credits):  # last: see the docstring
        result = dbsession.execute(
            update(Account)
            .where(Account.id == expired_id, Account.kind == EXPIRED,
                   Account.balance + credits[expired_id] >= 0)
            .values(balance=Account.balance + credits[expired_id])
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise LedgerConflict()
    if outcome.transfers:
        expire_cached(dbsession, set(account_ids) | set(expired_ids.values()),
                       {lot_id for lot_id, _a, _r in lots})
    return outcome


def _expire_in_programme(dbsession, programme_id, expired_id, wallets, now):
    """One ``expire`` transfer of ``wallets`` ({wallet id: [(lot id, remaining)]}),
    all locked by the caller; return the ``Transfer``."""

    totals = {account_id: sum(part for _lot, part in taken)
              for account_id, taken in wallets.items()}
    total = sum(totals.values())
    check_amount(total)
    postings = [Posting(account_id, -totals[account_id],
                        lot_ids=tuple(lot for lot, _part in wallets[account_id]))
                for account_id in sorted(wallets)]
    postings.append(Posting(expired_id, total))
    # the same digest ``transfer`` would compute for these postings
    digest = request_hash(
        programme=programme_id, reason_code="expire", reason="", actor=None,
        on_behalf_of=None, related=None,
        postings=sorted((p.account_id, p.amount, None, list(p.lot_ids)) for p in postings))
    lot_ids = [lot for p in postings for lot in p.lot_ids]
    lots_digest = hashlib.sha256(",".join(map(str, lot_ids)).encode()).hexdigest()[:32]
    key = f"expire:{programme_id}:{postings[0].account_id}:{lot_ids[-1]}:{lots_digest}"
    # No lookup of the key: under the locks these lots cannot have moved already, and
    # the key's unique constraint refuses a second transfer of the same lots anyway.
    record = Transfer(programme_id=programme_id, reason_code="expire", reason="",
                      actor_id=None, on_behalf_of=None, at=now, idempotency_key=key,
                      request_hash=digest)
    dbsession.add(record)
    dbsession.flush()
    parts = [(account_id, lot_id, part) for account_id in sorted(wallets)
             for lot_id, part in wallets[account_id]]
    amounts = [(p.account_id, p.amount) for p in postings]
    # the expired account's balance moves once, at the end of the batch
    debits = amounts[:-1]
    if dbsession.get_bind().dialect.name == "postgresql":
        moved, changed = _expire_rows_postgresql(dbsession, record.id, parts, amounts,
                                                 debits)
    else:  # SQLite: bulk inserts, one guarded update a row (slower, same guarantees)
        dbsession.execute(insert(Line), [
            {"transfer_id": record.id, "account_id": account_id, "amount": amount}
            for account_id, amount in amounts])
        line_of = dict(dbsession.execute(
            select(Line.account_id, Line.id).where(Line.transfer_id == record.id)).all())
        dbsession.execute(insert(LotEntry), [
            {"lot_id": lot_id, "line_id": line_of[account_id], "amount": -part}
            for account_id, lot_id, part in parts])
        moved = sum(dbsession.execute(
            update(Lot).where(Lot.id == lot_id, Lot.remaining >= part)
            .values(remaining=Lot.remaining - part)
            .execution_options(synchronize_session=False)).rowcount
            for _account, lot_id, part in parts)
        changed = sum(dbsession.execute(
            update(Account)
            .where(Account.id == account_id,
                   or_(Account.min_balance.is_(None),
                       Account.balance + amount >= Account.min_balance))
            .values(balance=Account.balance + amount)
            .execution_options(synchronize_session=False)).rowcount
            for account_id, amount in debits)
    if moved != len(parts) or changed != len(debits):
        raise LedgerConflict()
    record.replayed = False
    return record


def _expire_rows_postgresql(dbsession, transfer_id, parts, amounts, debits):
    """The lines (``amounts``), lot entries, lots and wallet balances (``debits``) of an
    expiry transfer, each in one statement over arrays (``unnest``): no row travels
    twice. Return the number of lots and of wallets the guarded updates changed."""

    accounts = [account_id for account_id, _amount in amounts]
    dbsession.execute(text(
        "INSERT INTO points_lines (transfer_id, account_id, amount) "
        "SELECT :transfer, v.account, v.amount "
        "FROM unnest(CAST(:accounts AS integer[]), CAST(:amounts AS bigint[])) "
        "AS v(account, amount)"),
        {"transfer": transfer_id, "accounts": accounts,
         "amounts": [amount for _account, amount in amounts]})
    lot_ids = [lot_id for _account, lot_id, _part in parts]
    lot_parts = [part for _account, _lot, part in parts]
    dbsession.execute(text(
        "INSERT INTO points_lot_entries (lot_id, line_id, amount) "
        "SELECT v.lot, l.id, -v.part "
        "FROM unnest(CAST(:lots AS bigint[]), CAST(:accounts AS integer[]), "
        "CAST(:parts AS bigint[])) WITH ORDINALITY AS v(lot, account, part, n) "
        "JOIN points_lines AS l ON l.transfer_id = :transfer AND l.account_id = v.account "
        "ORDER BY v.n"),
        {"transfer": transfer_id, "lots": lot_ids,
         "accounts": [account for account, _lot, _part in parts], "parts": lot_parts})
    moved = dbsession.execute(text(
        "UPDATE points_lots AS l SET remaining = l.remaining - v.part "
        "FROM unnest(CAST(:ids AS bigint[]), CAST(:parts AS bigint[])) AS v(id, part) "
        "WHERE l.id = v.id AND l.remaining >= v.part"),
        {"ids": lot_ids, "parts": lot_parts}).rowcount
    changed = dbsession.execute(text(
        "UPDATE points_accounts AS a SET balance = a.balance + v.amount "
        "FROM unnest(CAST(:ids AS integer[]), CAST(:amounts AS bigint[])) "
        "AS v(id, amount) WHERE a.id = v.id "
        "AND (a.min_balance IS NULL OR a.balance + v.amount >= a.min_balance)"),
        {"ids": [account for account, _amount in debits],
         "amounts": [amount for _account, amount in debits]}).rowcount
    return moved, changed


