"""sms credit: a balance per shop, its ledger, and what each message cost

Shops that exist before this migration start at 0 credits; new shops get the trial credit.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 20:40:17.576233
"""

from alembic import op
import sqlalchemy as sa
import mcrm.db


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('credit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credits', sa.Integer(), nullable=False),
    sa.Column('balance_after', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('trial', 'top_up', 'spend', 'refund', name='creditreason', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', mcrm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('balance_after >= 0', name=op.f('ck_credit_entries_balance_after_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_credit_entries_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_credit_entries_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_credit_entries_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_entries'))
    )
    with op.batch_alter_table('credit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_entries_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_credit_entries_tenant_id_id', ['tenant_id', 'id'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('encoding', sa.String(length=8), nullable=False, server_default='GSM-7'))
        batch_op.add_column(sa.Column('parts', sa.Integer(), nullable=False, server_default='1'))

    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_credit', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_check_constraint(op.f('ck_tenants_sms_credit_not_negative'), 'sms_credit >= 0')




def downgrade() -> None:
    
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('sms_credit')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('parts')
        batch_op.drop_column('encoding')

    with op.batch_alter_table('credit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_entries_tenant_id_id')
        batch_op.drop_index(batch_op.f('ix_credit_entries_tenant_id'))

    op.drop_table('credit_entries')

