"""keyword apps, aliases, reply texts, inbox answers

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 00:04:39.125607
"""

from alembic import op
import sqlalchemy as sa
import mcrm.db


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "keyword_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=20), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "join",
                "points",
                "stop",
                "resume",
                "help",
                "feedback",
                "complaint",
                "suggestion",
                name="action",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_keyword_aliases_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyword_aliases")),
        sa.UniqueConstraint("tenant_id", "alias", name=op.f("uq_keyword_aliases_tenant_id")),
    )
    with op.batch_alter_table("keyword_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_keyword_aliases_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "keyword_apps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("keyword", sa.String(length=20), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("auto_reply", "subscription", "lookup", "form", name="appkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=False),
        sa.Column("leave_text", sa.Text(), nullable=False),
        sa.Column("not_found_text", sa.Text(), nullable=False),
        sa.Column("notify_shop", sa.Boolean(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("last_used_at", mcrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_keyword_apps_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyword_apps")),
        sa.UniqueConstraint("tenant_id", "keyword", name=op.f("uq_keyword_apps_tenant_id")),
    )
    with op.batch_alter_table("keyword_apps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_keyword_apps_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "reply_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_reply_texts_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_texts")),
        sa.UniqueConstraint("tenant_id", "key", "locale", name=op.f("uq_reply_texts_tenant_id")),
    )
    with op.batch_alter_table("reply_texts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_texts_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "app_form_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column(
            "answer_type",
            sa.Enum("text", "number", "date", name="answertype", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["keyword_apps.id"], name=op.f("fk_app_form_questions_app_id_keyword_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_app_form_questions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_form_questions")),
        sa.UniqueConstraint("app_id", "position", name=op.f("uq_app_form_questions_app_id")),
    )
    with op.batch_alter_table("app_form_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_form_questions_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "app_lookup_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("shown_key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["keyword_apps.id"], name=op.f("fk_app_lookup_rows_app_id_keyword_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_app_lookup_rows_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_lookup_rows")),
        sa.UniqueConstraint("app_id", "key", name=op.f("uq_app_lookup_rows_app_id")),
    )
    with op.batch_alter_table("app_lookup_rows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_lookup_rows_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pending_broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("audience", sa.Integer(), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("created_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", mcrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["keyword_apps.id"], name=op.f("fk_pending_broadcasts_app_id_keyword_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pending_broadcasts_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pending_broadcasts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_broadcasts")),
    )
    with op.batch_alter_table("pending_broadcasts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_broadcasts_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "app_form_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["keyword_apps.id"],
            name=op.f("fk_app_form_submissions_app_id_keyword_apps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_app_form_submissions_member_id_members"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_app_form_submissions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_form_submissions")),
    )
    with op.batch_alter_table("app_form_submissions", schema=None) as batch_op:
        batch_op.create_index("ix_app_form_submissions_app_created", ["app_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_app_form_submissions_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "app_subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", mcrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["keyword_apps.id"], name=op.f("fk_app_subscribers_app_id_keyword_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_app_subscribers_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_app_subscribers_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_subscribers")),
        sa.UniqueConstraint("app_id", "member_id", name=op.f("uq_app_subscribers_app_id")),
    )
    with op.batch_alter_table("app_subscribers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_subscribers_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_app_subscribers_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.Enum("form", name="conversationkind", native_enum=False, length=16), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("reasked", sa.Boolean(), nullable=False),
        sa.Column("started_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", mcrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["keyword_apps.id"], name=op.f("fk_conversations_app_id_keyword_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_conversations_member_id_members"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_conversations_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversations_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "uq_conversations_open",
            ["tenant_id", "phone"],
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )

    op.create_table(
        "feedback_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", mcrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_feedback_answers_feedback_id_feedback"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_feedback_answers_message_id_messages"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_feedback_answers_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_feedback_answers_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_answers")),
    )
    with op.batch_alter_table("feedback_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_answers_feedback_id"), ["feedback_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_answers_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", mcrm.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=8), nullable=True))

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("complaint_alerts", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("complaint_alerts")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("locale")

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("closed_at")

    with op.batch_alter_table("feedback_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_answers_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_answers_feedback_id"))

    op.drop_table("feedback_answers")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_conversations_open",
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_conversations_tenant_id"))

    op.drop_table("conversations")
    with op.batch_alter_table("app_subscribers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_subscribers_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_app_subscribers_member_id"))

    op.drop_table("app_subscribers")
    with op.batch_alter_table("app_form_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_form_submissions_tenant_id"))
        batch_op.drop_index("ix_app_form_submissions_app_created")

    op.drop_table("app_form_submissions")
    with op.batch_alter_table("pending_broadcasts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_broadcasts_tenant_id"))

    op.drop_table("pending_broadcasts")
    with op.batch_alter_table("app_lookup_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_lookup_rows_tenant_id"))

    op.drop_table("app_lookup_rows")
    with op.batch_alter_table("app_form_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_form_questions_tenant_id"))

    op.drop_table("app_form_questions")
    with op.batch_alter_table("reply_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_texts_tenant_id"))

    op.drop_table("reply_texts")
    with op.batch_alter_table("keyword_apps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_keyword_apps_tenant_id"))

    op.drop_table("keyword_apps")
    with op.batch_alter_table("keyword_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_keyword_aliases_tenant_id"))

    op.drop_table("keyword_aliases")
