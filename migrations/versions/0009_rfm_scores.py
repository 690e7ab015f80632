"""rfm scores: each member's recency, frequency and monetary scores and class; the shop's scoring window

Existing shops score over 365 days.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 01:12:13.227575
"""

from alembic import op
import sqlalchemy as sa
import mcrm.db


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_scores",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("recency_days", sa.Integer(), nullable=True),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("monetary", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("r", sa.Integer(), nullable=False),
        sa.Column("f", sa.Integer(), nullable=False),
        sa.Column("m", sa.Integer(), nullable=False),
        sa.Column(
            "rfm_class",
            sa.Enum(
                "champions",
                "loyal",
                "potential",
                "new",
                "needs_attention",
                "at_risk",
                "cant_lose",
                "hibernating",
                "lost",
                name="rfmclass",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("computed_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("f BETWEEN 1 AND 5", name=op.f("ck_member_scores_f_score")),
        sa.CheckConstraint("m BETWEEN 1 AND 5", name=op.f("ck_member_scores_m_score")),
        sa.CheckConstraint("r BETWEEN 1 AND 5", name=op.f("ck_member_scores_r_score")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_scores_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_member_scores_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_scores")),
    )
    with op.batch_alter_table("member_scores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_scores_tenant_class_monetary", ["tenant_id", "rfm_class", "monetary"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_member_scores_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rfm_window_days", sa.Integer(), nullable=False, server_default="365"))


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("rfm_window_days")

    with op.batch_alter_table("member_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_scores_tenant_id"))
        batch_op.drop_index("ix_member_scores_tenant_class_monetary")

    op.drop_table("member_scores")
