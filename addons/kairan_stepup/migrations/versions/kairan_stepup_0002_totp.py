"""kairan_stepup: TOTP authenticator apps and recovery codes

Revision ID: kairan_stepup_0002
Revises: kairan_stepup_0001
"""

import sqlalchemy as sa
from alembic import op

from kairan.db.meta import UTCDateTime

revision = "kairan_stepup_0002"
down_revision = "kairan_stepup_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stepup_totp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nickname", sa.String(length=100), nullable=False),
        sa.Column("secret", sa.String(length=300), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("confirmed", UTCDateTime(), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.Column("last_used", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_stepup_totp_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stepup_totp")),
    )
    op.create_index(op.f("ix_stepup_totp_user_id"), "stepup_totp", ["user_id"])
    op.create_table(
        "stepup_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_stepup_recovery_codes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stepup_recovery_codes")),
    )
    op.create_index(op.f("ix_stepup_recovery_codes_user_id"), "stepup_recovery_codes",
                    ["user_id"])


def downgrade():
    op.drop_index(op.f("ix_stepup_recovery_codes_user_id"), table_name="stepup_recovery_codes")
    op.drop_table("stepup_recovery_codes")
    op.drop_index(op.f("ix_stepup_totp_user_id"), table_name="stepup_totp")
    op.drop_table("stepup_totp")
