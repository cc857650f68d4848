"""``ledger.transfer`` on PostgreSQL: one call of the database function
``points_transfer`` (migration kairan_points_0008), which locks, looks the key up,
checks and writes in one round trip (the steps of ``kairan_points.ledger``'s
docstring); SQLite runs the same steps in Python in ``ledger.py``."""

import functools

from sqlalchemy import BigInteger, String, bindparam, column

from kairan.db import mark_changed
from kairan.db.meta import UTCDateTime
from kairan_points.errors import (
    BudgetExceeded,
    IdempotencyConflict,
    InsufficientPoints,
    LedgerConflict,
    UnknownAccount,
)
from kairan_points.models import Transfer

# What ``points_transfer`` answers instead of writing (the transaction stays usable).
REFUSALS = {"conflict": IdempotencyConflict, "unknown": UnknownAccount,
             "budget": BudgetExceeded, "insufficient": InsufficientPoints}


def transfer_postgresql(dbsession, record, postings, with_row=None, then_row=None):
    """PostgreSQL: the whole transfer is ONE call of the database function
    ``points_transfer`` (migration kairan_points_0008: the locks, the key, the
    checks and the writes, in the steps of the module docstring), ``with_row``'s
    INSERT included, and ``then_row``'s after it (see ``ledger.transfer``). Return the
    earlier transfer of the same key, or None once
    ``record`` is the new transfer's persistent object (made without another
    statement)."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.orm import make_transient_to_detached

    to_db = UTCDateTime().process_bind_param
    chosen = [(p.account_id, lot_id) for p in postings for lot_id in p.lot_ids]
    params = {
        "programme": record.programme_id, "reason_code": record.reason_code,
        "reason": record.reason, "actor": record.actor_id,
        "on_behalf_of": record.on_behalf_of, "related": record.related_transfer_id,
        "at": record.at, "key": record.idempotency_key, "digest": record.request_hash,
        "accounts": [p.account_id for p in postings],
        "amounts": [p.amount for p in postings],
        "expiry": [to_db(p.expires_at, None) for p in postings],
        "chosen_accounts": [account for account, _lot in chosen],
        "chosen_lots": [lot for _account, lot in chosen],
    }
    statement = _transfer_call()
    if with_row is not None:
        table, values = with_row
        then = None
        if then_row is not None:
            then_table, then_values, then_column, prefix = then_row
            then = (then_table, tuple(sorted(then_values)), then_column)
            params.update({f"then_{name}": value for name, value in then_values.items()})
            params["then_prefix"] = prefix
        statement = _transfer_call_with_row(table, tuple(sorted(values)), then)
        params.update({f"row_{name}": value for name, value in values.items()})
    try:
        outcome, transfer_id, record.row_id = dbsession.execute(statement, params).one()
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) == "40001":
            raise LedgerConflict() from error
        raise
    if outcome == "replayed":
        return dbsession.get(Transfer, transfer_id)
    if outcome in REFUSALS:
        raise REFUSALS[outcome]()
    record.id = transfer_id
    make_transient_to_detached(record)
    dbsession.add(record)
    # raw SQL wrote: unmarked, the request's transaction would be rolled back as read-only
    mark_changed(dbsession)
    return None


_CALL = (
    "points_transfer(CAST(:programme AS integer), CAST(:reason_code AS varchar), "
    "CAST(:reason AS varchar), CAST(:actor AS integer), CAST(:on_behalf_of AS integer), "
    "CAST(:related AS bigint), CAST(:at AS timestamp), CAST(:key AS varchar), "
    "CAST(:digest AS varchar), CAST(:accounts AS integer[]), CAST(:amounts AS bigint[]), "
    "CAST(:expiry AS timestamp[]), CAST(:chosen_accounts AS integer[]), "
    "CAST(:chosen_lots AS bigint[]))"
)


# The call's result columns, typed: SQLAlchemy then keeps the result's description
# with the compiled statement instead of matching the cursor's on every call (a
# sampling profile of the pay POST put that matching at about 5 % of its CPU).
_RESULT = (column("outcome", String), column("transfer_id", BigInteger),
           column("row_id", BigInteger))


@functools.cache
def _transfer_call():
    """The call of ``points_transfer``, built once (every argument cast: the function
    is found by its exact signature)."""
    from sqlalchemy import text

    sql = f"SELECT outcome, transfer_id, NULL AS row_id FROM {_CALL}"  # noqa: S608 - constant
    return text(sql).bindparams(bindparam("at", type_=UTCDateTime)).columns(*_RESULT)


@functools.cache
def _transfer_call_with_row(table, columns, then=None):
    """``_transfer_call`` that also inserts a row of ``table`` (``columns`` bound as
    ``:row_<name>``, each with its column's type) once the transfer is written, built
    once per table and columns. The function runs once, in the first CTE; the INSERT
    reads its result (the transfer's row is visible to it: it ran before, in the same
    transaction). ``then``: ``(table, columns, column)`` of a second row inserted after
    that one (bound as ``:then_<name>``), its ``column`` ``:then_prefix`` followed by the
    first row's id; PostgreSQL runs a data-modifying CTE whether or not it is read."""
    from sqlalchemy import text

    names = ", ".join([*columns, "transfer_id"])
    binds = ", ".join([*(f":row_{name}" for name in columns), "t.transfer_id"])
    binds_of = [bindparam(f"row_{name}", type_=table.c[name].type) for name in columns]
    second = ""
    if then is not None:
        then_table, then_columns, then_column = then
        then_names = ", ".join([*then_columns, then_column])
        then_binds = ", ".join([*(f":then_{name}" for name in then_columns),
                                "CAST(:then_prefix AS varchar) || r.id"])
        second = (f", a AS (INSERT INTO {then_table.name} ({then_names}) "  # noqa: S608 - names from the table, values bound
                  f"SELECT {then_binds} FROM r)")
        binds_of += [bindparam(f"then_{name}", type_=then_table.c[name].type)
                     for name in then_columns]
    return text(
        f"WITH t AS (SELECT outcome, transfer_id FROM {_CALL}), "  # noqa: S608 - names from the table, values bound
        f"r AS (INSERT INTO {table.name} ({names}) SELECT {binds} FROM t "
        f"WHERE t.outcome = 'ok' RETURNING id){second} "
        "SELECT t.outcome, t.transfer_id, (SELECT id FROM r) AS row_id FROM t"
    ).bindparams(bindparam("at", type_=UTCDateTime), *binds_of).columns(*_RESULT)
