"""kairan_points: programmes, the double-entry ledger, lots, pending grants

Revision ID: kairan_points_0001
Revises:
Depends on: 0001 (Kairan's core schema: users)

Besides the tables, the database itself guards the ledger:

- Transfers, lines and lot entries are append-only. On PostgreSQL a row
  trigger refuses every UPDATE and DELETE, even from the table owner or a
  hand-typed statement; revoking privileges would be weaker here, because
  the application's role usually owns its tables (it runs the migrations)
  and an owner can grant itself back anything. TRUNCATE stays possible for
  whoever is allowed to empty a database (a test harness, a restore).
  SQLite refuses UPDATE by trigger; a DELETE trigger there would also stop
  the test suite from emptying its tables (SQLite has no TRUNCATE), so on
  SQLite, the embedded development database, the ORM's refusal is the guard.
- On PostgreSQL a deferred constraint trigger checks at commit that the
  lines of every transfer written in the transaction sum to zero.
"""

import sqlalchemy as sa
from alembic import op

from kairan.db.meta import UTCDateTime

revision = "kairan_points_0001"
down_revision = None
branch_labels = ("kairan_points",)
depends_on = "0001"

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = ("points_transfers", "points_lines", "points_lot_entries")


def upgrade():
    op.create_table(
        "points_programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("spend_from", sa.Date(), nullable=False),
        sa.Column("spend_until", sa.Date(), nullable=False),
        sa.Column("expiry_kind", sa.String(length=10), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("expiry_days", sa.Integer(), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("modified", UTCDateTime(), nullable=False),
        sa.CheckConstraint("budget >= 0", name=op.f("ck_points_programmes_budget_not_negative")),
        sa.CheckConstraint(
            "(expiry_kind = 'fixed' AND expires_on IS NOT NULL AND expiry_days IS NULL) OR "
            "(expiry_kind = 'days' AND expiry_days > 0 AND expires_on IS NULL)",
            name=op.f("ck_points_programmes_expiry_rule")),
        sa.CheckConstraint("spend_until >= spend_from",
                           name=op.f("ck_points_programmes_spending_period")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_programmes")),
        sa.UniqueConstraint("code", name=op.f("uq_points_programmes_code")),
    )
    op.create_table(
        "points_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("merchant_id", sa.Integer(), nullable=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("min_balance", sa.BigInteger(), nullable=True),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.CheckConstraint("min_balance IS NULL OR balance >= min_balance",
                           name=op.f("ck_points_accounts_floor")),
        sa.CheckConstraint("kind IN ('wallet', 'merchant', 'issuer', 'expired', 'bridge')",
                           name=op.f("ck_points_accounts_kind")),
        sa.CheckConstraint("kind = 'wallet' OR user_id IS NULL",
                           name=op.f("ck_points_accounts_wallet_owner")),
        sa.CheckConstraint("(kind = 'merchant') = (merchant_id IS NOT NULL)",
                           name=op.f("ck_points_accounts_merchant_owner")),
        sa.ForeignKeyConstraint(["programme_id"], ["points_programmes.id"],
                                name=op.f("fk_points_accounts_programme_id_points_programmes")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_points_accounts_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_accounts")),
        sa.UniqueConstraint("programme_id", "user_id", name="uq_points_accounts_wallet"),
        sa.UniqueConstraint("programme_id", "merchant_id", name="uq_points_accounts_merchant"),
    )
    op.create_index(op.f("ix_points_accounts_programme_id"), "points_accounts",
                    ["programme_id"])
    op.create_index(op.f("ix_points_accounts_user_id"), "points_accounts", ["user_id"])
    op.create_index("uq_points_accounts_system", "points_accounts", ["programme_id", "kind"],
                    unique=True,
                    sqlite_where=sa.text("kind IN ('issuer', 'expired', 'bridge')"),
                    postgresql_where=sa.text("kind IN ('issuer', 'expired', 'bridge')"))

    op.create_table(
        "points_transfers",
        sa.Column("id", BigId, nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("on_behalf_of", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("related_transfer_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(["programme_id"], ["points_programmes.id"],
                                name=op.f("fk_points_transfers_programme_id_points_programmes")),
        sa.ForeignKeyConstraint(
            ["related_transfer_id"], ["points_transfers.id"],
            name=op.f("fk_points_transfers_related_transfer_id_points_transfers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_transfers")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_points_transfers_idempotency_key")),
    )
    for column in ("programme_id", "reason_code", "actor_id", "at", "related_transfer_id"):
        op.create_index(op.f(f"ix_points_transfers_{column}"), "points_transfers", [column])

    op.create_table(
        "points_lines",
        sa.Column("id", BigId, nullable=False),
        sa.Column("transfer_id", BigId, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_points_lines_amount_not_zero")),
        sa.ForeignKeyConstraint(["account_id"], ["points_accounts.id"],
                                name=op.f("fk_points_lines_account_id_points_accounts")),
        sa.ForeignKeyConstraint(["transfer_id"], ["points_transfers.id"],
                                name=op.f("fk_points_lines_transfer_id_points_transfers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_lines")),
    )
    op.create_index(op.f("ix_points_lines_account_id"), "points_lines", ["account_id"])
    op.create_index(op.f("ix_points_lines_transfer_id"), "points_lines", ["transfer_id"])

    op.create_table(
        "points_lots",
        sa.Column("id", BigId, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("line_id", BigId, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_points_lots_amount_positive")),
        sa.CheckConstraint("remaining >= 0 AND remaining <= amount",
                           name=op.f("ck_points_lots_remaining_in_range")),
        sa.ForeignKeyConstraint(["account_id"], ["points_accounts.id"],
                                name=op.f("fk_points_lots_account_id_points_accounts")),
        sa.ForeignKeyConstraint(["line_id"], ["points_lines.id"],
                                name=op.f("fk_points_lots_line_id_points_lines")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_lots")),
        sa.UniqueConstraint("line_id", name=op.f("uq_points_lots_line_id")),
    )
    op.create_index("ix_points_lots_account_id_expires_at", "points_lots",
                    ["account_id", "expires_at"])
    op.create_index(op.f("ix_points_lots_expires_at"), "points_lots", ["expires_at"])

    op.create_table(
        "points_lot_entries",
        sa.Column("id", BigId, nullable=False),
        sa.Column("lot_id", BigId, nullable=False),
        sa.Column("line_id", BigId, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_points_lot_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(["line_id"], ["points_lines.id"],
                                name=op.f("fk_points_lot_entries_line_id_points_lines")),
        sa.ForeignKeyConstraint(["lot_id"], ["points_lots.id"],
                                name=op.f("fk_points_lot_entries_lot_id_points_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_lot_entries")),
    )
    op.create_index(op.f("ix_points_lot_entries_line_id"), "points_lot_entries", ["line_id"])
    op.create_index(op.f("ix_points_lot_entries_lot_id"), "points_lot_entries", ["lot_id"])

    op.create_table(
        "points_pending_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("transfer_id", BigId, nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_points_pending_grants_amount_positive")),
        sa.CheckConstraint("decided_by IS NULL OR decided_by <> requested_by",
                           name=op.f("ck_points_pending_grants_four_eyes")),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')",
                           name=op.f("ck_points_pending_grants_status")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["points_programmes.id"],
            name=op.f("fk_points_pending_grants_programme_id_points_programmes")),
        sa.ForeignKeyConstraint(["transfer_id"], ["points_transfers.id"],
                                name=op.f("fk_points_pending_grants_transfer_id_points_transfers")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_points_pending_grants_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_pending_grants")),
        sa.UniqueConstraint("idempotency_key",
                            name=op.f("uq_points_pending_grants_idempotency_key")),
    )
    for column in ("programme_id", "user_id", "status"):
        op.create_index(op.f(f"ix_points_pending_grants_{column}"), "points_pending_grants",
                        [column])

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_guards()
    else:
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table}: ledger rows are never changed'); END"
            )


def _postgresql_guards():
    op.execute("""
        CREATE FUNCTION points_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '%: ledger rows are never changed or deleted', TG_TABLE_NAME;
        END $$
    """)
    for table in APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION points_append_only()")
    op.execute("""
        CREATE FUNCTION points_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE total bigint;
        BEGIN
            SELECT coalesce(sum(amount), 0) INTO total
              FROM points_lines WHERE transfer_id = NEW.transfer_id;
            IF total <> 0 THEN
                RAISE EXCEPTION 'points transfer % does not balance (%)', NEW.transfer_id, total;
            END IF;
            RETURN NULL;
        END $$
    """)
    op.execute("CREATE CONSTRAINT TRIGGER points_lines_balanced AFTER INSERT ON points_lines "
               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
               "EXECUTE FUNCTION points_transfer_balanced()")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER points_lines_balanced ON points_lines")
        op.execute("DROP FUNCTION points_transfer_balanced()")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION points_append_only()")
    else:
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only")
    op.drop_table("points_pending_grants")
    op.drop_table("points_lot_entries")
    op.drop_table("points_lots")
    op.drop_table("points_lines")
    op.drop_table("points_transfers")
    op.drop_table("points_accounts")
    op.drop_table("points_programmes")
