"""kairan_stepup: WebAuthn credentials and user handles

Revision ID: kairan_stepup_0003
Revises: kairan_stepup_0002
"""

import sqlalchemy as sa
from alembic import op

from kairan.db.meta import UTCDateTime

revision = "kairan_stepup_0003"
down_revision = "kairan_stepup_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stepup_webauthn_users",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.LargeBinary(length=64), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_stepup_webauthn_users_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_stepup_webauthn_users")),
        sa.UniqueConstraint("handle", name=op.f("uq_stepup_webauthn_users_handle")),
    )
    op.create_table(
        "stepup_webauthn_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(length=1023), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.JSON(), nullable=False),
        sa.Column("nickname", sa.String(length=60), nullable=False),
        sa.Column("backup_eligible", sa.Boolean(), nullable=False),
        sa.Column("backup_state", sa.Boolean(), nullable=False),
        sa.Column("user_verified", sa.Boolean(), nullable=False),
        sa.Column("aaguid", sa.String(length=36), nullable=False),
        sa.Column("added", UTCDateTime(), nullable=False),
        sa.Column("last_used", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_stepup_webauthn_credentials_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stepup_webauthn_credentials")),
        sa.UniqueConstraint("credential_id",
                            name=op.f("uq_stepup_webauthn_credentials_credential_id")),
    )
    op.create_index(op.f("ix_stepup_webauthn_credentials_user_id"),
                    "stepup_webauthn_credentials", ["user_id"])


def downgrade():
    op.drop_index(op.f("ix_stepup_webauthn_credentials_user_id"),
                  table_name="stepup_webauthn_credentials")
    op.drop_table("stepup_webauthn_credentials")
    op.drop_table("stepup_webauthn_users")
