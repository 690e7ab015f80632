"""members, points ledger, rewards, api tokens

Existing shops get the default earning rule (1 point per unit, no minimum, no welcome bonus).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:28:41.289230
"""

from alembic import op
import sqlalchemy as sa
import mcrm.db


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('rewards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('points_cost', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('points_cost > 0', name=op.f('ck_rewards_cost_positive')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_rewards_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rewards'))
    )
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rewards_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_tags_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_tags_tenant_id'))
    )
    with op.batch_alter_table('tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tags_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', mcrm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', mcrm.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', mcrm.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_api_tokens_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('phone_tail', sa.String(length=4), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('gender', sa.Enum('unknown', 'female', 'male', name='gender', native_enum=False, length=16), nullable=False),
    sa.Column('birthday_year', sa.Integer(), nullable=True),
    sa.Column('birthday_month', sa.Integer(), nullable=True),
    sa.Column('birthday_day', sa.Integer(), nullable=True),
    sa.Column('birthday_lunar', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('joined_at', mcrm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.Enum('sms', 'portal', 'wap', 'import', 'api', name='source', native_enum=False, length=16), nullable=False),
    sa.Column('consent_source', sa.Enum('sms', 'portal', 'wap', 'import', 'api', name='source', native_enum=False, length=16), nullable=True),
    sa.Column('consent_at', mcrm.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('consent_evidence', sa.String(length=200), nullable=True),
    sa.Column('consent_by_user_id', sa.Integer(), nullable=True),
    sa.Column('opted_out_at', mcrm.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('points_balance', sa.Integer(), nullable=False),
    sa.Column('total_spent', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('visit_count', sa.Integer(), nullable=False),
    sa.Column('last_visit_at', mcrm.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', mcrm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('birthday_day IS NULL OR birthday_day BETWEEN 1 AND 31', name=op.f('ck_members_birthday_day')),
    sa.CheckConstraint('birthday_month IS NULL OR birthday_month BETWEEN 1 AND 12', name=op.f('ck_members_birthday_month')),
    sa.CheckConstraint('points_balance >= 0', name=op.f('ck_members_balance_not_negative')),
    sa.ForeignKeyConstraint(['consent_by_user_id'], ['users.id'], name=op.f('fk_members_consent_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_members_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('tenant_id', 'phone', name=op.f('uq_members_tenant_id'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_members_tenant_joined', ['tenant_id', 'joined_at'], unique=False)
        batch_op.create_index('ix_members_tenant_phone_tail', ['tenant_id', 'phone_tail'], unique=False)

    op.create_table('member_tags',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_tags_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_member_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_member_tags_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'tag_id', name=op.f('pk_member_tags'))
    )
    with op.batch_alter_table('member_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_tags_tag_id'), ['tag_id'], unique=False)

    op.create_table('purchases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('occurred_at', mcrm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.Enum('portal', 'wap', 'api', 'import', 'sms', name='channel', native_enum=False, length=16), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('points_earned', sa.Integer(), nullable=False),
    sa.Column('reversed_at', mcrm.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', mcrm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_purchases_amount_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_purchases_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_purchases_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_purchases_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchases'))
    )
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.create_index('ix_purchases_member_occurred', ['member_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchases_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_purchases_tenant_occurred', ['tenant_id', 'occurred_at'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('balance_after', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('welcome', 'purchase', 'redemption', 'adjustment', 'reversal', name='entryreason', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('purchase_id', sa.Integer(), nullable=True),
    sa.Column('reward_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('created_at', mcrm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('balance_after >= 0', name=op.f('ck_ledger_entries_balance_after_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_ledger_entries_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_ledger_entries_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'], name=op.f('fk_ledger_entries_purchase_id_purchases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reward_id'], ['rewards.id'], name=op.f('fk_ledger_entries_reward_id_rewards'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_ledger_entries_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('tenant_id', 'idempotency_key', name=op.f('uq_ledger_entries_tenant_id'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_member_id_id', ['member_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=False, server_default='CN'))
        batch_op.add_column(sa.Column('points_per_unit', sa.Numeric(precision=8, scale=2), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('points_min_amount', sa.Numeric(precision=12, scale=2), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('welcome_bonus', sa.Integer(), nullable=False, server_default='0'))




def downgrade() -> None:
    
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('welcome_bonus')
        batch_op.drop_column('points_min_amount')
        batch_op.drop_column('points_per_unit')
        batch_op.drop_column('country')

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_tenant_id'))
        batch_op.drop_index('ix_ledger_entries_member_id_id')

    op.drop_table('ledger_entries')
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.drop_index('ix_purchases_tenant_occurred')
        batch_op.drop_index(batch_op.f('ix_purchases_tenant_id'))
        batch_op.drop_index('ix_purchases_member_occurred')

    op.drop_table('purchases')
    with op.batch_alter_table('member_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_tags_tag_id'))

    op.drop_table('member_tags')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_tenant_phone_tail')
        batch_op.drop_index('ix_members_tenant_joined')
        batch_op.drop_index(batch_op.f('ix_members_tenant_id'))

    op.drop_table('members')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_tenant_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tags_tenant_id'))

    op.drop_table('tags')
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rewards_tenant_id'))

    op.drop_table('rewards')

