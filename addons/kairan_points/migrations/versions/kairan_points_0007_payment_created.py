"""kairan_points: an index on the payments' time (the month's KPIs read by time alone)

Revision ID: kairan_points_0007
Revises: kairan_points_0006
"""

from alembic import op

revision = "kairan_points_0007"
down_revision = "kairan_points_0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_points_payments_created", "points_payments", ["created"])


def downgrade():
    op.drop_index("ix_points_payments_created", table_name="points_payments")
