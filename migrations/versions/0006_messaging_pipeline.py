"""messaging pipeline: policies, states, dedupe, gateway tables

Messages gain the deferred/suppressed/expired/unknown states' columns and a unique dedupe key per shop;
shops gain an opt-out line and a daily cap on marketing; the gateway gets its part ids, inbound parts and
unrouted texts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 21:36:18.436449
"""

from alembic import op
import sqlalchemy as sa
import mcrm.db


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=21), nullable=False),
        sa.Column("destination", sa.String(length=21), nullable=False),
        sa.Column("reference", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_parts")),
        sa.UniqueConstraint("source", "destination", "reference", "total", "seq", name=op.f("uq_inbound_parts_source")),
    )
    op.create_table(
        "unrouted_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=21), nullable=False),
        sa.Column("destination", sa.String(length=21), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unrouted_messages")),
    )
    op.create_table(
        "smsc_submits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("smsc_id", sa.String(length=64), nullable=False),
        sa.Column("receipt_state", sa.String(length=8), nullable=True),
        sa.Column("receipt_error", sa.String(length=16), nullable=True),
        sa.Column("submitted_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_smsc_submits_message_id_messages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smsc_submits")),
    )
    with op.batch_alter_table("smsc_submits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_smsc_submits_message_id"), ["message_id"], unique=False)
        batch_op.create_index("ix_smsc_submits_smsc_id", ["smsc_id"], unique=False)

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "suppressed_reason",
                sa.Enum("opted_out", "daily_cap", name="suppressreason", native_enum=False, length=16),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("send_after", mcrm.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("expires_at", mcrm.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("gateway", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("handled_at", mcrm.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column("kind", existing_type=sa.VARCHAR(length=16), nullable=True)
        batch_op.drop_index("ix_messages_queued")
        batch_op.create_index(
            "ix_messages_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("status IN ('queued', 'deferred')"),
            postgresql_where=sa.text("status IN ('queued', 'deferred')"),
        )
        batch_op.create_index(
            "ix_messages_sending",
            ["gateway"],
            unique=False,
            sqlite_where=sa.text("status = 'sending'"),
            postgresql_where=sa.text("status = 'sending'"),
        )
        batch_op.create_unique_constraint(batch_op.f("uq_messages_tenant_id"), ["tenant_id", "dedupe_key"])
        batch_op.create_index(batch_op.f("ix_messages_sent_at"), ["sent_at"], unique=False)

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opt_out_line", sa.String(length=40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("marketing_daily_cap", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("marketing_daily_cap")
        batch_op.drop_column("opt_out_line")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_sent_at"))
        batch_op.drop_constraint(batch_op.f("uq_messages_tenant_id"), type_="unique")
        batch_op.drop_index(
            "ix_messages_sending",
            sqlite_where=sa.text("status = 'sending'"),
            postgresql_where=sa.text("status = 'sending'"),
        )
        batch_op.drop_index(
            "ix_messages_pending",
            sqlite_where=sa.text("status IN ('queued', 'deferred')"),
            postgresql_where=sa.text("status IN ('queued', 'deferred')"),
        )
        batch_op.create_index(
            "ix_messages_queued",
            ["id"],
            unique=False,
            sqlite_where=sa.text("status = 'queued'"),
            postgresql_where=sa.text("status = 'queued'"),
        )
        batch_op.alter_column("kind", existing_type=sa.VARCHAR(length=16), nullable=False)
        batch_op.drop_column("handled_at")
        batch_op.drop_column("gateway")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("send_after")
        batch_op.drop_column("dedupe_key")
        batch_op.drop_column("suppressed_reason")

    with op.batch_alter_table("smsc_submits", schema=None) as batch_op:
        batch_op.drop_index("ix_smsc_submits_smsc_id")
        batch_op.drop_index(batch_op.f("ix_smsc_submits_message_id"))

    op.drop_table("smsc_submits")
    op.drop_table("unrouted_messages")
    op.drop_table("inbound_parts")
