"""Building a survey: its texts, keyword and questions, then opening and closing it. Views call these; they do
not commit."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from mcrm.db import db
from mcrm.keywords.normalise import normalise
from mcrm.keywords.reserved import keyword_problem
from mcrm.surveys.models import QuestionKind, Survey, SurveyQuestion, SurveyResponse, SurveyStatus
from tenants.models import Tenant

MAX_QUESTIONS = 10  # a few texts back and forth: past that, people stop answering
MIN_OPTIONS = 2
MAX_OPTIONS = 9  # answered with one digit or letter: 1–9, A–I
MAX_REWARD = 10_000
MAX_EXPIRE_HOURS = 168
MAX_OFFER = 80  # Survey.coupon_offer's column
MAX_COUPON_DAYS = 365
CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE})


class SurveyError(ValueError):
    """A survey change that cannot be made; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class QuestionDraft:
    prompt: str
    kind: QuestionKind
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class SurveyDraft:
    """The builder's fields as typed."""

    name: str
    keyword: str
    intro: str
    thank_you: str
    reward_points: int
    expire_hours: int
    questions: tuple[QuestionDraft, ...]
    coupon_offer: str = ""  # "" for no coupon
    coupon_valid_days: int = 30


def _keyword(tenant: Tenant, word: str, survey: Survey | None) -> str | None:
    """The keyword as stored (None for none): not a system word, an alias, an app's or another survey's."""
    if not (word or "").strip():
        return None
    problem = keyword_problem(tenant.id, word, survey_id=survey.id if survey else None)
    if problem:
        raise SurveyError(problem, field="keyword")
    return normalise(word)


def _questions(drafts: tuple[QuestionDraft, ...]) -> list[QuestionDraft]:
    """The rows that have a prompt, checked: choice questions need 2 to 9 options."""
    kept = []
    for number, draft in enumerate(drafts, start=1):
        prompt = draft.prompt.strip()
        options = tuple(option.strip() for option in draft.options if option.strip())
        if not prompt:
            if options:
                raise SurveyError(_("Question %(number)d has options but no question.", number=number), "questions")
            continue
        if draft.kind in CHOICE_KINDS:
            if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
                raise SurveyError(
                    _(
                        "Question %(number)d needs between %(least)d and %(most)d options, one per line.",
                        number=number,
                        least=MIN_OPTIONS,
                        most=MAX_OPTIONS,
                    ),
                    "questions",
                )
            if len({normalise(option) for option in options}) < len(options):
                raise SurveyError(_("Question %(number)d has the same option twice.", number=number), "questions")
        else:
            options = ()  # a rating or yes/no has its own answers: stray lines would only confuse the reader
        kept.append(QuestionDraft(prompt=prompt, kind=draft.kind, options=options))
    if len(kept) > MAX_QUESTIONS:
        raise SurveyError(_("A survey has at most %(count)d questions.", count=MAX_QUESTIONS), "questions")
    return kept


def _current(survey: Survey) -> list[QuestionDraft]:
    return [QuestionDraft(q.prompt, q.kind, tuple(q.options or ())) for q in survey.questions]


def _apply(tenant: Tenant, survey: Survey, draft: SurveyDraft) -> None:
    name = draft.name.strip()
    if not name:
        raise SurveyError(_("Give the survey a name."), field="name")
    if not 0 <= draft.reward_points <= MAX_REWARD:
        raise SurveyError(_("Enter between 0 and %(most)d points.", most=MAX_REWARD), field="reward_points")
    if not 1 <= draft.expire_hours <= MAX_EXPIRE_HOURS:
        raise SurveyError(_("Enter between 1 and %(most)d hours.", most=MAX_EXPIRE_HOURS), field="expire_hours")
    offer = draft.coupon_offer.strip()
    if len(offer) > MAX_OFFER:
        raise SurveyError(_("Describe the offer in at most %(most)d characters.", most=MAX_OFFER), "coupon_offer")
    if not 1 <= draft.coupon_valid_days <= MAX_COUPON_DAYS:
        raise SurveyError(
            _("A coupon is valid for 1 to %(most)d days.", most=MAX_COUPON_DAYS), field="coupon_valid_days"
        )
    questions = _questions(draft.questions)
    if survey.id is not None and questions != _current(survey):
        if has_responses(tenant, survey):
            raise SurveyError(
                _("People have already answered this survey, so its questions cannot change: make a new survey."),
                "questions",
            )
        survey.questions.clear()
        db.flush()  # the old rows go before the new ones take their positions
    survey.name = name[:80]
    survey.keyword = _keyword(tenant, draft.keyword, survey if survey.id is not None else None)
    survey.intro = draft.intro.strip()
    survey.thank_you = draft.thank_you.strip()
    survey.reward_points = draft.reward_points
    survey.expire_hours = draft.expire_hours
    survey.coupon_offer = offer
    survey.coupon_valid_days = draft.coupon_valid_days
    if not survey.questions:
        survey.questions.extend(
            SurveyQuestion(
                tenant_id=tenant.id, position=position, prompt=q.prompt, kind=q.kind, options=list(q.options)
            )
            for position, q in enumerate(questions, start=1)
        )


def create_survey(tenant: Tenant, draft: SurveyDraft) -> Survey:
    """A new survey, a draft until the owner opens it."""
    survey = Survey(tenant_id=tenant.id, status=SurveyStatus.DRAFT)
    _apply(tenant, survey, draft)
    db.add(survey)
    db.flush()
    return survey


def update_survey(tenant: Tenant, survey: Survey, draft: SurveyDraft) -> None:
    """Change the survey; its questions only while nobody has answered (their answers would lose their meaning)."""
    _apply(tenant, survey, draft)
    db.flush()


def has_responses(tenant: Tenant, survey: Survey) -> bool:
    return (
        db.scalar(
            select(SurveyResponse.id)
            .where(SurveyResponse.tenant_id == tenant.id, SurveyResponse.survey_id == survey.id)
            .limit(1)
        )
        is not None
    )


def open_survey(tenant: Tenant, survey: Survey) -> None:
    """draft → open: it can be sent, and its keyword starts it."""
    if survey.status != SurveyStatus.DRAFT:
        raise SurveyError(_("Only a draft survey can be opened."))
    if not survey.questions:
        raise SurveyError(_("Add at least one question before opening the survey."))
    if survey.keyword:
        # An app or an alias may have taken the word since the survey was saved.
        problem = keyword_problem(tenant.id, survey.keyword, survey_id=survey.id)
        if problem:
            raise SurveyError(problem)
    survey.status = SurveyStatus.OPEN


def close_survey(tenant: Tenant, survey: Survey) -> None:
    """open → closed: no more answers are taken; the results stay."""
    if survey.status != SurveyStatus.OPEN:
        raise SurveyError(_("Only an open survey can be closed."))
    survey.status = SurveyStatus.CLOSED


@dataclass(frozen=True)
class Counts:
    responses: int
    completed: int


def response_counts(tenant: Tenant, survey_ids: list[int]) -> dict[int, Counts]:
    """Per survey: the people who answered at least once, and those who answered every question."""
    rows = db.execute(
        select(
            SurveyResponse.survey_id,
            func.count(SurveyResponse.answered_at),
            func.count(SurveyResponse.completed_at),
        )
        .where(SurveyResponse.tenant_id == tenant.id, SurveyResponse.survey_id.in_(survey_ids))
        .group_by(SurveyResponse.survey_id)
    )
    return {survey_id: Counts(responses, completed) for survey_id, responses, completed in rows}


def question_counts(tenant: Tenant, survey_ids: list[int]) -> dict[int, int]:
    rows = db.execute(
        select(SurveyQuestion.survey_id, func.count())
        .where(SurveyQuestion.tenant_id == tenant.id, SurveyQuestion.survey_id.in_(survey_ids))
        .group_by(SurveyQuestion.survey_id)
    )
    return dict(rows.all())


def list_surveys(tenant: Tenant) -> list[Survey]:
    """Open first, then drafts, then closed; newest first within each."""
    order = case((Survey.status == SurveyStatus.OPEN, 0), (Survey.status == SurveyStatus.DRAFT, 1), else_=2)
    return list(
        db.scalars(
            select(Survey)
            .where(Survey.tenant_id == tenant.id)
            .order_by(order, Survey.created_at.desc(), Survey.id.desc())
        )
    )
