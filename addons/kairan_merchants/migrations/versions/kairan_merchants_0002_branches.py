"""kairan_merchants: branches' English names; closed branches

Revision ID: kairan_merchants_0002
Revises: kairan_merchants_0001
"""

import sqlalchemy as sa
from alembic import op

from kairan.db.meta import UTCDateTime

revision = "kairan_merchants_0002"
down_revision = "kairan_merchants_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("merchant_branches") as batch:
        batch.add_column(sa.Column("name_en", sa.String(length=200), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("closed_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_merchant_branches_closed_by_id_users"), "users",
                                 ["closed_by_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("merchant_branches") as batch:
        batch.drop_constraint(op.f("fk_merchant_branches_closed_by_id_users"),
                              type_="foreignkey")
        batch.drop_column("closed_by_id")
        batch.drop_column("closed_at")
        batch.drop_column("name_en")
