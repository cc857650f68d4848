"""kairan_stepup: single-use challenges for WebAuthn and the MyNumber card

Revision ID: kairan_stepup_0001
Revises:
Depends on: 0001 (Kairan's core schema: users, sessions)
"""

import sqlalchemy as sa
from alembic import op

from kairan.db.meta import UTCDateTime

revision = "kairan_stepup_0001"
down_revision = None
branch_labels = ("kairan_stepup",)
depends_on = "0001"


def upgrade():
    op.create_table(
        "stepup_challenges",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("expires", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_stepup_challenges_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stepup_challenges")),
    )
    op.create_index(op.f("ix_stepup_challenges_session_id"), "stepup_challenges",
                    ["session_id"])
    op.create_index(op.f("ix_stepup_challenges_expires"), "stepup_challenges", ["expires"])


def downgrade():
    op.drop_index(op.f("ix_stepup_challenges_expires"), table_name="stepup_challenges")
    op.drop_index(op.f("ix_stepup_challenges_session_id"), table_name="stepup_challenges")
    op.drop_table("stepup_challenges")
