"""A survey's results as the owner reads them: response and completion rates, per question the answers
counted (and the NPS of a 0–10 rating), free-text answers listed, an optional segment filter, the CSV.

Everything is counted in SQL, grouped so that only a handful of rows per question come back: a choice
question's answers are grouped by their list of chosen options (at most 2⁹ combinations), a rating's by
its value. Every statement filters `tenant_id` on every table it reads.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pygal
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import Select, Text, and_, cast, func, select

from mcrm.analytics.charts import STYLE, Chart
from mcrm.db import db
from mcrm.members.csv_io import csv_stream, export_phone, local_time_formatter
from mcrm.members.models import Member
from mcrm.segments.compile import audience_query
from mcrm.segments.conditions import Definition
from mcrm.surveys.models import QuestionKind, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from tenants.models import Tenant

LATEST_TEXTS = 20
RATING_SCALES = {QuestionKind.RATING5: range(1, 6), QuestionKind.RATING10: range(11)}
COUNTED_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.YES_NO})


@dataclass(frozen=True)
class TextAnswer:
    text: str
    who: str  # the member's name, or the phone masked
    at: dt.datetime


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int = 0
    counts: list[tuple[str, int]] = field(default_factory=list)  # (option or rating, people), in order
    average: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    nps: int | None = None
    texts: list[TextAnswer] = field(default_factory=list)
    chart: Chart | None = None

    def percent(self, count: int) -> int:
        return round(100 * count / self.answered) if self.answered else 0

    @property
    def top(self) -> tuple[str, int] | None:
        """The most chosen option and its share of the people who answered."""
        if not self.counts or not self.answered:
            return None
        label, count = max(self.counts, key=lambda item: item[1])
        return (label, self.percent(count)) if count else None


@dataclass(frozen=True)
class SurveyResults:
    reached: int  # every response: sent by SMS or started by keyword
    sent: int  # started by a promotion run
    by_keyword: int
    responded: int  # answered at least one question
    completed: int
    questions: list[QuestionResult]

    @property
    def response_rate(self) -> int:
        return round(100 * self.responded / self.reached) if self.reached else 0

    @property
    def completion_rate(self) -> int:
        """Of the people who answered, how many answered every question."""
        return round(100 * self.completed / self.responded) if self.responded else 0


def nps(scores: dict[int, int]) -> int | None:
    """Net Promoter Score from people per 0–10 score: % promoters (9–10) minus % detractors (0–6)."""
    total = sum(scores.values())
    if not total:
        return None
    promoters = sum(count for score, count in scores.items() if score >= 9)
    detractors = sum(count for score, count in scores.items() if score <= 6)
    return round(100 * (promoters - detractors) / total)


def mask_phone(phone: str) -> str:
    """138****8000: enough for the owner to tell answers apart, not to call the person."""
    digits = phone.removeprefix("+86")
    return digits[:3] + "****" + digits[-4:] if len(digits) > 7 else digits


def _responses(tenant: Tenant, survey: Survey, definition: Definition | None, now: dt.datetime) -> Select:
    """The survey's responses, restricted to the segment's members when one is given."""
    query = select(SurveyResponse.id).where(
        SurveyResponse.tenant_id == tenant.id, SurveyResponse.survey_id == survey.id
    )
    if definition is not None:
        query = query.where(SurveyResponse.member_id.in_(audience_query(tenant, definition, now)))
    return query


def survey_results(
    tenant: Tenant, survey: Survey, now: dt.datetime, definition: Definition | None = None, charts: bool = True
) -> SurveyResults:
    """The survey's figures, of everyone or of the segment's members only; `charts` draws them too."""
    responses = _responses(tenant, survey, definition, now)
    reached, sent, responded, completed = db.execute(
        select(
            func.count(),
            func.count(SurveyResponse.run_id),
            func.count(SurveyResponse.answered_at),
            func.count(SurveyResponse.completed_at),
        ).where(SurveyResponse.tenant_id == tenant.id, SurveyResponse.id.in_(responses))
    ).one()
    answers = and_(SurveyAnswer.tenant_id == tenant.id, SurveyAnswer.response_id.in_(responses))
    questions = [_question(tenant, question, answers, charts) for question in survey.questions]
    return SurveyResults(
        reached=reached,
        sent=sent,
        by_keyword=reached - sent,
        responded=responded,
        completed=completed,
        questions=questions,
    )


def _question(tenant: Tenant, question: SurveyQuestion, answers, charts: bool) -> QuestionResult:
    result = QuestionResult(question=question)
    of_question = and_(answers, SurveyAnswer.question_id == question.id)
    result.answered = db.scalar(select(func.count()).where(of_question)) or 0
    if question.kind in COUNTED_KINDS:
        labels = list(question.options) if question.kind != QuestionKind.YES_NO else [_("Yes"), _("No")]
        people = [0] * len(labels)
        chosen = cast(SurveyAnswer.choices, Text)  # JSON has no equality on PostgreSQL: group by its text
        for text, count in db.execute(select(chosen, func.count()).where(of_question).group_by(chosen)):
            for index in set(json.loads(text) if text else []):
                if 0 <= index < len(people):
                    people[index] += count
        result.counts = list(zip(labels, people, strict=True))
    elif question.kind in RATING_SCALES:
        scores = dict.fromkeys(RATING_SCALES[question.kind], 0)
        rows = db.execute(
            select(SurveyAnswer.number, func.count())
            .where(of_question, SurveyAnswer.number.is_not(None))
            .group_by(SurveyAnswer.number)
        )
        for value, count in rows:
            if int(value) in scores:
                scores[int(value)] += count
        rated = sum(scores.values())
        result.counts = [(str(score), count) for score, count in scores.items()]
        result.average = sum(score * count for score, count in scores.items()) / rated if rated else None
        if question.kind == QuestionKind.RATING10:
            result.nps = nps(scores)
    elif question.kind == QuestionKind.NUMBER:
        result.average, result.minimum, result.maximum = db.execute(
            select(func.avg(SurveyAnswer.number), func.min(SurveyAnswer.number), func.max(SurveyAnswer.number)).where(
                of_question
            )
        ).one()
    else:
        result.texts = _latest_texts(tenant, of_question)
    if charts and result.counts:
        result.chart = _chart(f"chart-question-{question.position}", question.prompt, result.counts)
    return result


def _latest_texts(tenant: Tenant, of_question) -> list[TextAnswer]:
    rows = db.execute(
        select(SurveyAnswer.text, SurveyAnswer.created_at, Member.name, SurveyResponse.phone)
        .join(
            SurveyResponse,
            and_(SurveyResponse.tenant_id == tenant.id, SurveyResponse.id == SurveyAnswer.response_id),
        )
        .outerjoin(Member, and_(Member.tenant_id == tenant.id, Member.id == SurveyResponse.member_id))
        .where(of_question)
        .order_by(SurveyAnswer.created_at.desc(), SurveyAnswer.id.desc())
        .limit(LATEST_TEXTS)
    )
    return [TextAnswer(text=text, who=name or mask_phone(phone), at=at) for text, at, name, phone in rows]


def _chart(chart_id: str, title: str, counts: list[tuple[str, int]]) -> Chart:
    chart = pygal.Bar(
        title=title,
        style=STYLE,
        show_legend=False,
        disable_xml_declaration=True,
        js=[],  # no tooltips: the figures are in the table beside the chart
        height=300,
        print_values=False,
        min_scale=1,
        truncate_label=20,
        no_data_text=_("No answers yet"),
    )
    chart.x_labels = [label for label, _count in counts]
    chart.add(title, [count for _label, count in counts])
    rows = [(label, str(count)) for label, count in counts]
    return Chart(chart_id, title, Markup(chart.render(is_unicode=True)), rows)


def average_text(value: float | None) -> str:
    return format_decimal(value, "#,##0.0") if value is not None else "–"


# The CSV ----------------------------------------------------------------------------------------------


def answer_cell(question: SurveyQuestion, text: str, choices: list | None) -> str:
    """The answer as typed, and for a choice the options it means, e.g. "1 3 (Noodles; Tea)"."""
    if not choices or question.kind not in COUNTED_KINDS:
        return text
    labels = list(question.options) if question.kind != QuestionKind.YES_NO else [_("Yes"), _("No")]
    meant = "; ".join(labels[index] for index in choices if 0 <= index < len(labels))
    return f"{text} ({meant})" if meant and meant != text else text


def answers_csv(tenant: Tenant, survey: Survey) -> Iterator[bytes]:
    """One row per response, oldest first: who, when, then one column per question."""
    questions = list(survey.questions)
    header = [_("Phone"), _("Name"), _("Started"), _("Completed"), *(q.prompt for q in questions)]
    when, country = local_time_formatter(ZoneInfo(tenant.timezone)), tenant.country

    def answer(question: SurveyQuestion, column):
        # One correlated look-up per question column (the answers' unique index serves it): a single statement.
        return (
            select(column)
            .where(
                SurveyAnswer.tenant_id == tenant.id,
                SurveyAnswer.response_id == SurveyResponse.id,
                SurveyAnswer.question_id == question.id,
            )
            .scalar_subquery()
        )

    columns = [answer(q, column) for q in questions for column in (SurveyAnswer.text, SurveyAnswer.choices)]

    def cells(item) -> list[str]:
        response, name, *answers = item
        row = [
            answer_cell(question, text, choices) if text is not None else ""
            for question, text, choices in zip(questions, answers[::2], answers[1::2], strict=True)
        ]
        return [
            export_phone(response.phone, country),
            name or "",
            when(response.started_at),
            when(response.completed_at),
            *row,
        ]

    query = (
        select(SurveyResponse, Member.name, *columns)
        .outerjoin(Member, and_(Member.tenant_id == tenant.id, Member.id == SurveyResponse.member_id))
        .where(SurveyResponse.tenant_id == tenant.id, SurveyResponse.survey_id == survey.id)
        .order_by(SurveyResponse.started_at, SurveyResponse.id)
    )
    return csv_stream(tenant.id, header, query, cells)
