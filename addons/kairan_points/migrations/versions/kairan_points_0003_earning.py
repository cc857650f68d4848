"""kairan_points: earning awards, community activities and check-ins, expiry reminders

Revision ID: kairan_points_0003
Revises: kairan_points_0002
"""

import sqlalchemy as sa
from alembic import op

from kairan.db.meta import UTCDateTime

revision = "kairan_points_0003"
down_revision = "kairan_points_0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "points_awards",
        sa.Column("id", BigId, nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("event_key", sa.String(length=160), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("requested", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("limit", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("transfer_id", BigId, nullable=True),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.CheckConstraint("requested > 0", name=op.f("ck_points_awards_requested_positive")),
        sa.CheckConstraint("points >= 0 AND points <= requested",
                           name=op.f("ck_points_awards_points_in_range")),
        sa.CheckConstraint("status IN ('awarded', 'reduced', 'skipped')",
                           name=op.f("ck_points_awards_status")),
        sa.ForeignKeyConstraint(["programme_id"], ["points_programmes.id"],
                                name=op.f("fk_points_awards_programme_id_points_programmes")),
        sa.ForeignKeyConstraint(["transfer_id"], ["points_transfers.id"],
                                name=op.f("fk_points_awards_transfer_id_points_transfers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_awards")),
        sa.UniqueConstraint("rule", "event_key", name="uq_points_awards_rule_event"),
    )
    op.create_index("ix_points_awards_rule_user_day", "points_awards",
                    ["rule", "user_id", "day"])
    op.create_index(op.f("ix_points_awards_user_id"), "points_awards", ["user_id"])
    op.create_index(op.f("ix_points_awards_programme_id"), "points_awards", ["programme_id"])

    op.create_table(
        "points_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_points_activities_window")),
        sa.CheckConstraint("points > 0", name=op.f("ck_points_activities_points_positive")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["points_programmes.id"],
            name=op.f("fk_points_activities_programme_id_points_programmes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_activities")),
    )
    op.create_index(op.f("ix_points_activities_programme_id"), "points_activities",
                    ["programme_id"])

    op.create_table(
        "points_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["points_activities.id"],
                                name=op.f("fk_points_checkins_activity_id_points_activities")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_points_checkins_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_checkins")),
        sa.UniqueConstraint("activity_id", "user_id", name="uq_points_checkins_activity_user"),
    )
    op.create_index(op.f("ix_points_checkins_user_id"), "points_checkins", ["user_id"])

    op.create_table(
        "points_reminders",
        sa.Column("id", BigId, nullable=False),
        sa.Column("lot_id", BigId, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["points_lots.id"],
                                name=op.f("fk_points_reminders_lot_id_points_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_reminders")),
        sa.UniqueConstraint("lot_id", name=op.f("uq_points_reminders_lot_id")),
    )
    op.create_index(op.f("ix_points_reminders_user_id"), "points_reminders", ["user_id"])


def downgrade():
    op.drop_table("points_reminders")
    op.drop_table("points_checkins")
    op.drop_table("points_activities")
    op.drop_table("points_awards")
