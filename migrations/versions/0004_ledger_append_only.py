"""messages by phone; ledger entries refuse changes to what they booked

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:30:00
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The ledger only grows: an entry's member, points, balance and reason never change after it is written.
# (Its links to a purchase, reward or user may still be cleared when those are deleted.)
MESSAGE = "ledger entries are append-only: book a correction as a new entry"


def upgrade() -> None:
    op.create_index("ix_messages_tenant_phone", "messages", ["tenant_id", "phone"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}';
            END
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER ledger_entries_append_only
            BEFORE UPDATE OF member_id, points, balance_after, reason, tenant_id ON ledger_entries
            FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()
        """)
    else:
        op.execute(f"""
            CREATE TRIGGER ledger_entries_append_only
            BEFORE UPDATE OF member_id, points, balance_after, reason, tenant_id ON ledger_entries
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_entries_append_only" +
               (" ON ledger_entries" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_entries_append_only()")
    op.drop_index("ix_messages_tenant_phone", table_name="messages")
