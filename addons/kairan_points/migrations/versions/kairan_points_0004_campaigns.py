"""kairan_points: campaigns and their applications (committed-seed draws)

Revision ID: kairan_points_0004
Revises: kairan_points_0003
"""

import sqlalchemy as sa
from alembic import op

from kairan.db.meta import UTCDateTime

revision = "kairan_points_0004"
down_revision = "kairan_points_0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "points_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("opens_at", UTCDateTime(), nullable=False),
        sa.Column("closes_at", UTCDateTime(), nullable=False),
        sa.Column("min_level", sa.Integer(), nullable=False),
        sa.Column("excluded_campaign_id", sa.Integer(), nullable=True),
        sa.Column("accept_days", sa.Integer(), nullable=False),
        sa.Column("seed_hash", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.String(length=200), nullable=False),
        sa.Column("result_hash", sa.String(length=64), nullable=False),
        sa.Column("drawn_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.CheckConstraint("closes_at > opens_at", name=op.f("ck_points_campaigns_window")),
        sa.CheckConstraint("points > 0", name=op.f("ck_points_campaigns_points_positive")),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_points_campaigns_capacity_positive")),
        sa.CheckConstraint("accept_days > 0",
                           name=op.f("ck_points_campaigns_accept_days_positive")),
        sa.ForeignKeyConstraint(["programme_id"], ["points_programmes.id"],
                                name=op.f("fk_points_campaigns_programme_id_points_programmes")),
        sa.ForeignKeyConstraint(
            ["excluded_campaign_id"], ["points_campaigns.id"],
            name=op.f("fk_points_campaigns_excluded_campaign_id_points_campaigns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_campaigns")),
        sa.UniqueConstraint("code", name=op.f("uq_points_campaigns_code")),
    )
    op.create_index(op.f("ix_points_campaigns_programme_id"), "points_campaigns",
                    ["programme_id"])

    op.create_table(
        "points_campaign_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("offered_at", UTCDateTime(), nullable=True),
        sa.Column("accept_by", UTCDateTime(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("transfer_id", BigId, nullable=True),
        sa.CheckConstraint("status IN ('applied', 'won', 'waiting', 'accepted', 'declined', "
                           "'expired')", name=op.f("ck_points_campaign_applications_status")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["points_campaigns.id"],
            name=op.f("fk_points_campaign_applications_campaign_id_points_campaigns")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_points_campaign_applications_user_id_users")),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["points_transfers.id"],
            name=op.f("fk_points_campaign_applications_transfer_id_points_transfers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_campaign_applications")),
        sa.UniqueConstraint("campaign_id", "user_id",
                            name="uq_points_campaign_applications_user"),
    )
    op.create_index(op.f("ix_points_campaign_applications_campaign_id"),
                    "points_campaign_applications", ["campaign_id"])
    op.create_index(op.f("ix_points_campaign_applications_user_id"),
                    "points_campaign_applications", ["user_id"])


def downgrade():
    op.drop_table("points_campaign_applications")
    op.drop_table("points_campaigns")
