"""kairan_merchants: applications, screening history, merchants, branches, staff

Revision ID: kairan_merchants_0001
Revises:
Depends on: 0001 (Kairan's core schema: users)
"""

import sqlalchemy as sa
from alembic import op

from kairan.db.meta import UTCDateTime

revision = "kairan_merchants_0001"
down_revision = None
branch_labels = ("kairan_merchants",)
depends_on = "0001"


def upgrade():
    op.create_table('merchant_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('legal_name', sa.String(length=200), nullable=False),
    sa.Column('legal_name_key', sa.String(length=200), nullable=False),
    sa.Column('trade_name', sa.String(length=200), nullable=False),
    sa.Column('trade_name_en', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('programmes', sa.JSON(), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('branches', sa.JSON(), nullable=False),
    sa.Column('declared_not_antisocial', sa.Boolean(), nullable=False),
    sa.Column('declared_not_adult_business', sa.Boolean(), nullable=False),
    sa.Column('declared_no_cash_equivalents', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('link_hash', sa.String(length=64), nullable=False),
    sa.Column('link_expires', UTCDateTime(), nullable=False),
    sa.Column('created', UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', UTCDateTime(), nullable=True),
    sa.Column('decided_at', UTCDateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_merchant_applications_decided_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_applications')),
    sa.UniqueConstraint('link_hash', name=op.f('uq_merchant_applications_link_hash'))
    )
    op.create_index(op.f('ix_merchant_applications_contact_email'), 'merchant_applications', ['contact_email'], unique=False)
    op.create_index(op.f('ix_merchant_applications_contact_phone'), 'merchant_applications', ['contact_phone'], unique=False)
    op.create_index(op.f('ix_merchant_applications_legal_name_key'), 'merchant_applications', ['legal_name_key'], unique=False)
    op.create_index(op.f('ix_merchant_applications_status'), 'merchant_applications', ['status'], unique=False)
    op.create_table('merchant_app_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_merchant_app_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['application_id'], ['merchant_applications.id'], name=op.f('fk_merchant_app_events_application_id_merchant_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_app_events'))
    )
    op.create_index(op.f('ix_merchant_app_events_application_id'), 'merchant_app_events', ['application_id'], unique=False)
    op.create_table('merchants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('legal_name', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('programmes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('status_changed_at', UTCDateTime(), nullable=True),
    sa.Column('status_changed_by_id', sa.Integer(), nullable=True),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('created', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['merchant_applications.id'], name=op.f('fk_merchants_application_id_merchant_applications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['status_changed_by_id'], ['users.id'], name=op.f('fk_merchants_status_changed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchants')),
    sa.UniqueConstraint('application_id', name=op.f('uq_merchants_application_id'))
    )
    op.create_index(op.f('ix_merchants_category'), 'merchants', ['category'], unique=False)
    op.create_index(op.f('ix_merchants_name'), 'merchants', ['name'], unique=False)
    op.create_index(op.f('ix_merchants_status'), 'merchants', ['status'], unique=False)
    op.create_table('merchant_branches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('postal_code', sa.String(length=8), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('area', sa.String(length=30), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('hours', sa.Text(), nullable=False),
    sa.Column('qr_version', sa.Integer(), nullable=False),
    sa.Column('qr_rotated_at', UTCDateTime(), nullable=True),
    sa.Column('created', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_merchant_branches_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_branches'))
    )
    op.create_index(op.f('ix_merchant_branches_area'), 'merchant_branches', ['area'], unique=False)
    op.create_index(op.f('ix_merchant_branches_merchant_id'), 'merchant_branches', ['merchant_id'], unique=False)
    op.create_table('merchant_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_merchant_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_merchant_events_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_events'))
    )
    op.create_index(op.f('ix_merchant_events_merchant_id'), 'merchant_events', ['merchant_id'], unique=False)
    op.create_table('merchant_staff',
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_merchant_staff_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_merchant_staff_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('merchant_id', 'user_id', name=op.f('pk_merchant_staff'))
    )
    op.create_index(op.f('ix_merchant_staff_user_id'), 'merchant_staff', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_merchant_staff_user_id'), table_name='merchant_staff')
    op.drop_table('merchant_staff')
    op.drop_index(op.f('ix_merchant_events_merchant_id'), table_name='merchant_events')
    op.drop_table('merchant_events')
    op.drop_index(op.f('ix_merchant_branches_area'), table_name='merchant_branches')
    op.drop_index(op.f('ix_merchant_branches_merchant_id'), table_name='merchant_branches')
    op.drop_table('merchant_branches')
    op.drop_index(op.f('ix_merchants_category'), table_name='merchants')
    op.drop_index(op.f('ix_merchants_name'), table_name='merchants')
    op.drop_index(op.f('ix_merchants_status'), table_name='merchants')
    op.drop_table('merchants')
    op.drop_index(op.f('ix_merchant_app_events_application_id'), table_name='merchant_app_events')
    op.drop_table('merchant_app_events')
    op.drop_index(op.f('ix_merchant_applications_contact_email'), table_name='merchant_applications')
    op.drop_index(op.f('ix_merchant_applications_contact_phone'), table_name='merchant_applications')
    op.drop_index(op.f('ix_merchant_applications_legal_name_key'), table_name='merchant_applications')
    op.drop_index(op.f('ix_merchant_applications_status'), table_name='merchant_applications')
    op.drop_table('merchant_applications')
