"""kairan_stepup: links between accounts and MyNumber cards

Revision ID: kairan_stepup_0004
Revises: kairan_stepup_0003
"""

import sqlalchemy as sa
from alembic import op

from kairan.db.meta import UTCDateTime

revision = "kairan_stepup_0004"
down_revision = "kairan_stepup_0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stepup_mynumber_bindings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("last_used", UTCDateTime(), nullable=True),
        sa.Column("valid_until", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_stepup_mynumber_bindings_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stepup_mynumber_bindings")),
        sa.UniqueConstraint("provider", "subject",
                            name=op.f("uq_stepup_mynumber_bindings_provider")),
    )
    op.create_index(op.f("ix_stepup_mynumber_bindings_user_id"), "stepup_mynumber_bindings",
                    ["user_id"])


def downgrade():
    op.drop_index(op.f("ix_stepup_mynumber_bindings_user_id"),
                  table_name="stepup_mynumber_bindings")
    op.drop_table("stepup_mynumber_bindings")
