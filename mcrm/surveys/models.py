"""Surveys, their questions, and each respondent's answers."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mcrm.db import Base, utcnow
from tenants.isolation import TenantScoped
from tenants.models import _enum


class QuestionKind(enum.StrEnum):
    SINGLE = "single"  # one option: 1–9, A–I, or the option's text
    MULTIPLE = "multiple"  # several options: "1 3", "A,C", "1、3"
    RATING5 = "rating5"  # 1–5
    RATING10 = "rating10"  # 0–10 (NPS when it asks how likely they are to recommend)
    YES_NO = "yes_no"  # 是/否, Y/N, yes/no
    NUMBER = "number"
    TEXT = "text"


class SurveyStatus(enum.StrEnum):
    """draft ──► open ──► closed. Only an open survey takes answers or starts by keyword."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Survey(TenantScoped, Base):
    __tablename__ = "surveys"
    __table_args__ = (
        # The keyword that starts it, unique per shop among surveys (apps and aliases are checked in code).
        Index("ix_surveys_tenant_keyword", "tenant_id", "keyword"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    intro: Mapped[str] = mapped_column(Text, default="")  # sent before the first question
    thank_you: Mapped[str] = mapped_column(Text, default="")  # after the last answer
    reward_points: Mapped[int] = mapped_column(default=0)  # credited when a member completes it
    # A coupon in the thanks: what it offers ("" = no coupon) and how long it stays good.
    coupon_offer: Mapped[str] = mapped_column(String(80), default="")
    coupon_valid_days: Mapped[int] = mapped_column(default=30)
    keyword: Mapped[str | None] = mapped_column(String(20))  # a member can start it by texting this
    expire_hours: Mapped[int] = mapped_column(default=48)  # an unanswered question waits this long
    status: Mapped[SurveyStatus] = mapped_column(_enum(SurveyStatus), default=SurveyStatus.DRAFT)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    questions: Mapped[list[SurveyQuestion]] = relationship(
        order_by="SurveyQuestion.position", cascade="all, delete-orphan", back_populates="survey"
    )


class SurveyQuestion(TenantScoped, Base):
    __tablename__ = "survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    prompt: Mapped[str] = mapped_column(Text)
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind))
    options: Mapped[list] = mapped_column(JSON, default=list)  # the choices' texts, for single and multiple

    survey: Mapped[Survey] = relationship(back_populates="questions")


class SurveyResponse(TenantScoped, Base):
    """One person's go at a survey: started when it reached them (or they texted its keyword)."""

    __tablename__ = "survey_responses"
    __table_args__ = (Index("ix_survey_responses_survey", "survey_id", "completed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    # The promotion run that sent it (None when started by keyword).
    run_id: Mapped[int | None] = mapped_column(ForeignKey("promotion_runs.id", ondelete="SET NULL"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[dt.datetime | None]  # the first answer
    completed_at: Mapped[dt.datetime | None]  # the last question answered


class SurveyAnswer(TenantScoped, Base):
    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)  # as typed
    # Read from the text: the chosen options' indexes (single, multiple, yes_no: 0 = yes, 1 = no) or a number.
    choices: Mapped[list | None] = mapped_column(JSON)
    number: Mapped[float | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
