"""kairan_points: closed settlement periods and their recorded totals

Revision ID: kairan_points_0005
Revises: kairan_points_0004
"""

import sqlalchemy as sa
from alembic import op

from kairan.db.meta import UTCDateTime

revision = "kairan_points_0005"
down_revision = "kairan_points_0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "points_settlement_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_settlement_periods")),
        sa.UniqueConstraint("period", name=op.f("uq_points_settlement_periods_period")),
    )
    op.create_table(
        "points_settlement_totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("payments", sa.BigInteger(), nullable=False),
        sa.Column("payment_points", sa.BigInteger(), nullable=False),
        sa.Column("refunds", sa.BigInteger(), nullable=False),
        sa.Column("refund_points", sa.BigInteger(), nullable=False),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"], ["points_settlement_periods.id"],
            name=op.f("fk_points_settlement_totals_period_id_points_settlement_periods")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["points_programmes.id"],
            name=op.f("fk_points_settlement_totals_programme_id_points_programmes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_settlement_totals")),
        sa.UniqueConstraint("period_id", "merchant_id", "programme_id",
                            name="uq_points_settlement_totals_row"),
    )
    op.create_index(op.f("ix_points_settlement_totals_period_id"),
                    "points_settlement_totals", ["period_id"])


def downgrade():
    op.drop_index(op.f("ix_points_settlement_totals_period_id"),
                  table_name="points_settlement_totals")
    op.drop_table("points_settlement_totals")
    op.drop_table("points_settlement_periods")
