"""kairan_points: on PostgreSQL, one transfer is one call of ``points_transfer``

The function does, inside the database and in one round trip, what
``ledger.transfer`` used to do in four (lock, key lookup, lots, write): lock
the accounts in id order, look the idempotency key up under the locks, check
the accounts, the floors and the lots (the first to expire first, or the lots
the caller chose), then write the transfer, its lines, the balances and lots
(guarded updates whose row counts are checked), the new lots and the lot
entries. A refusal writes nothing and is returned as an outcome, not raised,
so that the caller's transaction stays usable. Each statement of a VOLATILE
PL/pgSQL function takes a new snapshot (READ COMMITTED), so what is read after
the locks is current: that is why the lots cannot be read in the locking
statement itself. SQLite keeps the same steps in Python (``ledger.py``).

Revision ID: kairan_points_0008
Revises: kairan_points_0007
"""

from alembic import op

revision = "kairan_points_0008"
down_revision = "kairan_points_0007"
branch_labels = None
depends_on = None

SIGNATURE = (
    "points_transfer(integer, varchar, varchar, integer, integer, bigint, timestamp, "
    "varchar, varchar, integer[], bigint[], timestamp[], integer[], bigint[])"
)

FUNCTION = r"""
CREATE FUNCTION points_transfer(
    p_programme integer, p_reason_code varchar, p_reason varchar, p_actor integer,
    p_on_behalf_of integer, p_related bigint, p_at timestamp, p_key varchar,
    p_digest varchar, p_accounts integer[], p_amounts bigint[], p_expiry timestamp[],
    p_chosen_accounts integer[], p_chosen_lots bigint[],
    OUT outcome text, OUT transfer_id bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n integer := cardinality(p_accounts);
    i integer;
    k integer;
    found_hash varchar;
    acc record;
    lot record;
    needed bigint;
    part bigint;
    new_id bigint;
    kinds text[] := '{}';
    balances bigint[] := '{}';
    floors bigint[] := '{}';
    line_ids bigint[] := '{}';
    spent_at integer[] := '{}';
    spent_lots bigint[] := '{}';
    spent_parts bigint[] := '{}';
    credit_lots bigint[] := '{}';
    credit_at integer[] := '{}';
    changed integer;
    chosen boolean;
BEGIN
    -- 1. the accounts, locked in ascending id order (no deadlock cycles)
    PERFORM 1 FROM points_accounts WHERE id = ANY(p_accounts) ORDER BY id FOR UPDATE;

    -- 2. the key, under the locks: a retry that waited for its first attempt sees it now
    SELECT t.id, t.request_hash INTO transfer_id, found_hash
      FROM points_transfers t WHERE t.idempotency_key = p_key;
    IF FOUND THEN
        outcome := CASE WHEN found_hash = p_digest THEN 'replayed' ELSE 'conflict' END;
        RETURN;
    END IF;
    transfer_id := NULL;

    -- 3. every account exists and belongs to the programme
    FOR i IN 1 .. n LOOP
        SELECT a.programme_id, a.kind, a.balance, a.min_balance INTO acc
          FROM points_accounts a WHERE a.id = p_accounts[i];
        IF NOT FOUND OR acc.programme_id <> p_programme THEN
            outcome := 'unknown';
            RETURN;
        END IF;
        kinds[i] := acc.kind;
        balances[i] := acc.balance;
        floors[i] := acc.min_balance;
    END LOOP;

    -- 4. floors, then the lots a wallet debit spends
    FOR i IN 1 .. n LOOP
        CONTINUE WHEN p_amounts[i] > 0;
        IF floors[i] IS NOT NULL AND balances[i] + p_amounts[i] < floors[i] THEN
            outcome := CASE WHEN kinds[i] = 'issuer' THEN 'budget' ELSE 'insufficient' END;
            RETURN;
        END IF;
        CONTINUE WHEN kinds[i] <> 'wallet';
        needed := -p_amounts[i];
        chosen := p_accounts[i] = ANY(p_chosen_accounts);
        -- the lots the caller chose, in its order; else the unexpired ones, the first
        -- to expire first (no expiry last)
        FOR lot IN
            SELECT l.id, l.remaining
              FROM points_lots l
              LEFT JOIN unnest(p_chosen_lots, p_chosen_accounts) WITH ORDINALITY
                   AS c(lot_id, account_id, ord)
                ON c.lot_id = l.id AND c.account_id = p_accounts[i]
             WHERE l.account_id = p_accounts[i] AND l.remaining > 0
               AND CASE WHEN chosen THEN c.ord IS NOT NULL
                        ELSE l.expires_at IS NULL OR l.expires_at > p_at END
             ORDER BY c.ord, l.expires_at IS NULL, l.expires_at, l.id
        LOOP
            EXIT WHEN needed = 0;
            part := least(lot.remaining, needed);
            spent_at := spent_at || i;
            spent_lots := spent_lots || lot.id;
            spent_parts := spent_parts || part;
            needed := needed - part;
        END LOOP;
        IF needed > 0 THEN
            outcome := 'insufficient';
            RETURN;
        END IF;
    END LOOP;

    -- 5. the writes
    INSERT INTO points_transfers (programme_id, reason_code, reason, actor_id, on_behalf_of,
                                  at, idempotency_key, request_hash, related_transfer_id)
    VALUES (p_programme, p_reason_code, p_reason, p_actor, p_on_behalf_of, p_at, p_key,
            p_digest, p_related)
    RETURNING id INTO transfer_id;
    FOR i IN 1 .. n LOOP
        INSERT INTO points_lines (transfer_id, account_id, amount)
        VALUES (transfer_id, p_accounts[i], p_amounts[i]) RETURNING id INTO new_id;
        line_ids[i] := new_id;
    END LOOP;
    UPDATE points_accounts AS a SET balance = a.balance + v.amount
      FROM unnest(p_accounts, p_amounts) AS v(id, amount)
     WHERE a.id = v.id AND (a.min_balance IS NULL OR a.balance + v.amount >= a.min_balance);
    GET DIAGNOSTICS changed = ROW_COUNT;
    IF changed <> n THEN
        RAISE EXCEPTION 'points ledger: a balance changed under its lock'
              USING ERRCODE = 'serialization_failure';
    END IF;
    IF cardinality(spent_lots) > 0 THEN
        UPDATE points_lots AS o SET remaining = o.remaining - v.part
          FROM unnest(spent_lots, spent_parts) AS v(id, part)
         WHERE o.id = v.id AND o.remaining >= v.part;
        GET DIAGNOSTICS changed = ROW_COUNT;
        IF changed <> cardinality(spent_lots) THEN
            RAISE EXCEPTION 'points ledger: a lot changed under its lock'
                  USING ERRCODE = 'serialization_failure';
        END IF;
    END IF;
    FOR i IN 1 .. n LOOP
        CONTINUE WHEN p_amounts[i] < 0 OR kinds[i] <> 'wallet';
        INSERT INTO points_lots (account_id, line_id, amount, remaining, expires_at, created)
        VALUES (p_accounts[i], line_ids[i], p_amounts[i], p_amounts[i], p_expiry[i], p_at)
        RETURNING id INTO new_id;
        credit_lots := credit_lots || new_id;
        credit_at := credit_at || i;
    END LOOP;
    -- the lot entries: what was spent (in order), then what was created
    FOR k IN 1 .. coalesce(cardinality(spent_lots), 0) LOOP
        INSERT INTO points_lot_entries (lot_id, line_id, amount)
        VALUES (spent_lots[k], line_ids[spent_at[k]], -spent_parts[k]);
    END LOOP;
    FOR k IN 1 .. coalesce(cardinality(credit_lots), 0) LOOP
        INSERT INTO points_lot_entries (lot_id, line_id, amount)
        VALUES (credit_lots[k], line_ids[credit_at[k]], p_amounts[credit_at[k]]);
    END LOOP;
    outcome := 'ok';
END $$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {SIGNATURE}")
