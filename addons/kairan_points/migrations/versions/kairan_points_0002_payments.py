"""kairan_points: payments at shops (the payment row beside its ledger transfer), one-time codes

Revision ID: kairan_points_0002
Revises: kairan_points_0001
"""

import sqlalchemy as sa
from alembic import op

from kairan.db.meta import UTCDateTime

revision = "kairan_points_0002"
down_revision = "kairan_points_0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "points_payments",
        sa.Column("id", BigId, nullable=False),
        sa.Column("transfer_id", BigId, nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("receipt_code", sa.String(length=8), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_points_payments_amount_positive")),
        sa.CheckConstraint("refunded >= 0 AND refunded <= amount",
                           name=op.f("ck_points_payments_refunded_in_range")),
        sa.ForeignKeyConstraint(["programme_id"], ["points_programmes.id"],
                                name=op.f("fk_points_payments_programme_id_points_programmes")),
        sa.ForeignKeyConstraint(["transfer_id"], ["points_transfers.id"],
                                name=op.f("fk_points_payments_transfer_id_points_transfers")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_points_payments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_payments")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_points_payments_transfer_id")),
    )
    op.create_index("ix_points_payments_merchant_id_created", "points_payments",
                    ["merchant_id", "created"])
    op.create_index(op.f("ix_points_payments_receipt_code"), "points_payments",
                    ["receipt_code"])
    op.create_index(op.f("ix_points_payments_user_id"), "points_payments", ["user_id"])
    op.create_table(
        "points_one_time_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("payment_id", BigId, nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_points_one_time_codes_amount_positive")),
        sa.ForeignKeyConstraint(["payment_id"], ["points_payments.id"],
                                name=op.f("fk_points_one_time_codes_payment_id_points_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_one_time_codes")),
    )
    op.create_index(op.f("ix_points_one_time_codes_merchant_id"), "points_one_time_codes",
                    ["merchant_id"])


def downgrade():
    op.drop_table("points_one_time_codes")
    op.drop_table("points_payments")
