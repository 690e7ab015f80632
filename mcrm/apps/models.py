"""Keyword apps, their data, and the conversations a form app holds with a consumer.

An app answers a keyword the shop chose. Its kind decides what it does:

- auto-reply: answers `reply_text`, with {name}, {points} and {shop} filled in;
- subscription: the keyword alone joins the app's list (`reply_text`), the keyword followed by a stop word
  leaves it (`leave_text`); the list is a targeting condition for promotions;
- look-up: the keyword followed by an argument finds a row of the owner's table and answers it through
  `reply_text` ({key}, {value}), or `not_found_text`;
- form: asks its questions one by one in a `Conversation`, stores the answers as a `FormSubmission`,
  answers `reply_text`, and tells the shop when `notify_shop` is on.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mcrm.db import Base, utcnow
from tenants.isolation import TenantScoped
from tenants.models import _enum


class AppKind(enum.StrEnum):
    AUTO_REPLY = "auto_reply"
    SUBSCRIPTION = "subscription"
    LOOKUP = "lookup"
    FORM = "form"


class AnswerType(enum.StrEnum):
    """What a form question accepts; anything else is asked again."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"


class KeywordApp(TenantScoped, Base):
    __tablename__ = "keyword_apps"
    __table_args__ = (UniqueConstraint("tenant_id", "keyword"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (mcrm.keywords.normalise), so matching is an equality.
    keyword: Mapped[str] = mapped_column(String(20))
    kind: Mapped[AppKind] = mapped_column(_enum(AppKind))
    name: Mapped[str] = mapped_column(String(80))
    enabled: Mapped[bool] = mapped_column(default=True)
    reply_text: Mapped[str] = mapped_column(Text, default="")
    leave_text: Mapped[str] = mapped_column(Text, default="")
    not_found_text: Mapped[str] = mapped_column(Text, default="")
    notify_shop: Mapped[bool] = mapped_column(default=False)
    uses: Mapped[int] = mapped_column(default=0)
    last_used_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    questions: Mapped[list[FormQuestion]] = relationship(
        order_by="FormQuestion.position", cascade="all, delete-orphan", back_populates="app"
    )


class AppSubscriber(TenantScoped, Base):
    """A member on a subscription app's list. Leaving keeps the row (with `left_at`) as a record."""

    __tablename__ = "app_subscribers"
    __table_args__ = (UniqueConstraint("app_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("keyword_apps.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    left_at: Mapped[dt.datetime | None]


class AppUse(TenantScoped, Base):
    """That a member used an app, and when last: a targeting condition ("used the app JG")."""

    __tablename__ = "app_uses"

    app_id: Mapped[int] = mapped_column(ForeignKey("keyword_apps.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True)
    first_used_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LookupRow(TenantScoped, Base):
    __tablename__ = "app_lookup_rows"
    __table_args__ = (UniqueConstraint("app_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("keyword_apps.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))  # normalised, for matching
    shown_key: Mapped[str] = mapped_column(String(40))  # as the owner typed it
    value: Mapped[str] = mapped_column(Text)


class FormQuestion(TenantScoped, Base):
    __tablename__ = "app_form_questions"
    __table_args__ = (UniqueConstraint("app_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("keyword_apps.id", ondelete="CASCADE"))
    position: Mapped[int]
    prompt: Mapped[str] = mapped_column(Text)
    answer_type: Mapped[AnswerType] = mapped_column(_enum(AnswerType), default=AnswerType.TEXT)

    app: Mapped[KeywordApp] = relationship(back_populates="questions")


class FormSubmission(TenantScoped, Base):
    __tablename__ = "app_form_submissions"
    __table_args__ = (Index("ix_app_form_submissions_app_created", "app_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("keyword_apps.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    phone: Mapped[str] = mapped_column(String(20))
    # [{"question": prompt, "answer": text}, ...] in the order asked: the prompts are copied so a later
    # edit of the form does not change what people answered.
    answers: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ConversationKind(enum.StrEnum):
    FORM = "form"
    SURVEY = "survey"


class Conversation(TenantScoped, Base):
    """A consumer in the middle of a multi-step exchange: their next text is an answer, not a keyword.

    At most one is open per phone and shop (a partial unique index); opening a new one closes the old.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        Index(
            "uq_conversations_open",
            "tenant_id",
            "phone",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    kind: Mapped[ConversationKind] = mapped_column(_enum(ConversationKind))
    app_id: Mapped[int | None] = mapped_column(ForeignKey("keyword_apps.id", ondelete="CASCADE"))
    # A survey's conversation: the response it fills in.
    response_id: Mapped[int | None] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    step: Mapped[int] = mapped_column(default=0)  # index of the question waiting for an answer
    answers: Mapped[list] = mapped_column(JSON, default=list)
    reasked: Mapped[bool] = mapped_column(default=False)  # the current question was asked again already
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
