"""member imports (CSV upload, preview and progress)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:35:56.293071
"""

from alembic import op
import sqlalchemy as sa
import mcrm.db


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'queued', 'running', 'done', 'failed', name='importstatus', native_enum=False, length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('to_add', sa.Integer(), nullable=False),
    sa.Column('to_update', sa.Integer(), nullable=False),
    sa.Column('preview', sa.Text(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('bad_rows', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', mcrm.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', mcrm.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', mcrm.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_member_imports_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_member_imports_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_imports'))
    )
    with op.batch_alter_table('member_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_imports_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('member_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_imports_tenant_id'))

    op.drop_table('member_imports')