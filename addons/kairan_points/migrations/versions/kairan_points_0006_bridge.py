"""kairan_points: the regional currency bridge (outbox of moves, credits, reconciliations)

Revision ID: kairan_points_0006
Revises: kairan_points_0005
"""

import sqlalchemy as sa
from alembic import op

from kairan.db.meta import UTCDateTime

revision = "kairan_points_0006"
down_revision = "kairan_points_0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "points_bridge_moves",
        sa.Column("id", BigId, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("remote_user", sa.String(length=64), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("transfer_id", BigId, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("remote_id", sa.String(length=100), nullable=True),
        sa.Column("remote_at", UTCDateTime(), nullable=True),
        sa.Column("revert_transfer_id", BigId, nullable=True),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_points_bridge_moves_amount_positive")),
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'reverted', 'failed')",
                           name=op.f("ck_points_bridge_moves_status")),
        sa.CheckConstraint("attempts >= 0",
                           name=op.f("ck_points_bridge_moves_attempts_not_negative")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_points_bridge_moves_user_id_users")),
        sa.ForeignKeyConstraint(["programme_id"], ["points_programmes.id"],
                                name=op.f("fk_points_bridge_moves_programme_id_points_programmes")),
        sa.ForeignKeyConstraint(["transfer_id"], ["points_transfers.id"],
                                name=op.f("fk_points_bridge_moves_transfer_id_points_transfers")),
        sa.ForeignKeyConstraint(
            ["revert_transfer_id"], ["points_transfers.id"],
            name=op.f("fk_points_bridge_moves_revert_transfer_id_points_transfers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_bridge_moves")),
        sa.UniqueConstraint("idempotency_key",
                            name=op.f("uq_points_bridge_moves_idempotency_key")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_points_bridge_moves_transfer_id")),
        sa.UniqueConstraint("revert_transfer_id",
                            name=op.f("uq_points_bridge_moves_revert_transfer_id")),
    )
    op.create_index(op.f("ix_points_bridge_moves_user_id"), "points_bridge_moves", ["user_id"])
    op.create_index("ix_points_bridge_moves_status_next_attempt_at", "points_bridge_moves",
                    ["status", "next_attempt_at"])
    op.create_table(
        "points_bridge_credits",
        sa.Column("id", BigId, nullable=False),
        sa.Column("remote_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("transfer_id", BigId, nullable=False),
        sa.Column("remote_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0",
                           name=op.f("ck_points_bridge_credits_amount_positive")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_points_bridge_credits_user_id_users")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["points_programmes.id"],
            name=op.f("fk_points_bridge_credits_programme_id_points_programmes")),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["points_transfers.id"],
            name=op.f("fk_points_bridge_credits_transfer_id_points_transfers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_bridge_credits")),
        sa.UniqueConstraint("remote_id", name=op.f("uq_points_bridge_credits_remote_id")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_points_bridge_credits_transfer_id")),
    )
    op.create_index(op.f("ix_points_bridge_credits_user_id"), "points_bridge_credits",
                    ["user_id"])
    op.create_index(op.f("ix_points_bridge_credits_remote_at"), "points_bridge_credits",
                    ["remote_at"])
    op.create_table(
        "points_bridge_reconciliations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("ran_at", UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("ours", sa.Integer(), nullable=False),
        sa.Column("theirs", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_bridge_reconciliations")),
    )
    op.create_index(op.f("ix_points_bridge_reconciliations_day"),
                    "points_bridge_reconciliations", ["day"])


def downgrade():
    op.drop_index(op.f("ix_points_bridge_reconciliations_day"),
                  table_name="points_bridge_reconciliations")
    op.drop_table("points_bridge_reconciliations")
    op.drop_index(op.f("ix_points_bridge_credits_remote_at"),
                  table_name="points_bridge_credits")
    op.drop_index(op.f("ix_points_bridge_credits_user_id"), table_name="points_bridge_credits")
    op.drop_table("points_bridge_credits")
    op.drop_index("ix_points_bridge_moves_status_next_attempt_at",
                  table_name="points_bridge_moves")
    op.drop_index(op.f("ix_points_bridge_moves_user_id"), table_name="points_bridge_moves")
    op.drop_table("points_bridge_moves")
