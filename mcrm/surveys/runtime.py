"""A survey answered by SMS: started by its keyword (or by its sending), then one question after another.

The router starts a survey when an open survey's keyword is texted (after the system keywords and aliases,
before the keyword apps) and hands the sender's open survey conversation every text but a stop. As in a form
app, a reply that is not an allowed answer is asked again once, with the answers allowed; a second one ends
the conversation (the response keeps the answers so far, incomplete) and says how to start again, so nobody
is stuck in a survey they stopped reading. Each answer gives the next question `expire_hours` more. The
caller commits.

The latest survey wins: one that reaches the phone, or whose keyword the sender texts (when it is no answer to
the question waiting), closes the conversation of the earlier one, whose response stays incomplete.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from mcrm.apps.models import Conversation, ConversationKind
from mcrm.apps.placeholders import fill
from mcrm.apps.runtime import close_conversation
from mcrm.db import db
from mcrm.keywords.normalise import tidy
from mcrm.keywords.system import argument_after
from mcrm.members.models import Member
from mcrm.messaging.models import Message
from mcrm.points.models import EntryReason
from mcrm.points.services import book_adjustments
from mcrm.promotions.coupon_codes import free_prefix, issue_coupon
from mcrm.promotions.models import Coupon
from mcrm.surveys.answers import allowed_hint, parse_answer, question_text
from mcrm.surveys.models import Survey, SurveyAnswer, SurveyResponse, SurveyStatus
from tenants.models import Tenant


def keyword_surveys(tenant_id: int) -> dict[str, Survey]:
    """The shop's open surveys that a keyword starts, by keyword (stored normalised)."""
    surveys = db.scalars(
        select(Survey).where(
            Survey.tenant_id == tenant_id, Survey.status == SurveyStatus.OPEN, Survey.keyword.is_not(None)
        )
    )
    return {survey.keyword: survey for survey in surveys}


def find_survey(surveys: dict[str, Survey], body: str) -> Survey | None:
    """The survey whose keyword starts `body` (what follows is ignored, as `DC 你好` still means DC)."""
    shown = tidy(body)
    plain = shown.casefold()
    for keyword in sorted(surveys, key=len, reverse=True):
        if argument_after(keyword, shown, plain) is not None:
            return surveys[keyword]
    return None


def start_survey(
    tenant: Tenant, survey: Survey, phone: str, member: Member | None, now: dt.datetime, run_id: int | None = None
) -> str:
    """A new response and its open conversation; the intro and the first question, to send.

    The phone's open conversation (a form, another survey) is closed first: the latest survey wins, and the
    earlier survey's response stays incomplete.
    """
    close_conversation(tenant.id, phone, now)
    response = SurveyResponse(
        tenant_id=tenant.id,
        survey_id=survey.id,
        member_id=member.id if member else None,
        phone=phone,
        run_id=run_id,
        started_at=now,
    )
    db.add(response)
    db.flush()
    db.add(
        Conversation(
            tenant_id=tenant.id,
            phone=phone,
            kind=ConversationKind.SURVEY,
            response_id=response.id,
            member_id=member.id if member else None,
            step=0,
            answers=[],
            started_at=now,
            expires_at=now + dt.timedelta(hours=survey.expire_hours),
        )
    )
    db.flush()
    parts = [fill(survey.intro, tenant, member), question_text(survey.questions[0])]
    return "\n".join(part for part in parts if part)


def continue_survey(
    tenant: Tenant, conversation: Conversation, message: Message, member: Member | None, now: dt.datetime
) -> str | None:
    """Take `message` as the answer to the question waiting; the next question, or the thanks at the end.
    None when the survey can no longer be answered (closed meanwhile): the text is routed as usual."""
    response = db.get(SurveyResponse, conversation.response_id) if conversation.response_id else None
    survey = db.get(Survey, response.survey_id) if response else None
    if survey is None or survey.status != SurveyStatus.OPEN or conversation.step >= len(survey.questions):
        conversation.closed_at = now
        return None
    question = survey.questions[conversation.step]
    answer = parse_answer(question, message.body)
    if answer is None:
        other = find_survey(keyword_surveys(tenant.id), message.body)
        if other is not None and other.id != survey.id:
            # Another survey's keyword (from a poster, say): the latest survey wins, and the router starts it.
            conversation.closed_at = now
            return None
        if conversation.reasked:
            conversation.closed_at = now
            if survey.keyword:
                return _("Sorry, that did not work. Text %(keyword)s to start again.", keyword=survey.keyword.upper())
            return _("Sorry, that did not work. Thank you for your time.")
        conversation.reasked = True
        return f"{allowed_hint(question)}\n{question_text(question)}"
    db.add(
        SurveyAnswer(
            tenant_id=tenant.id,
            response_id=response.id,
            question_id=question.id,
            text=answer.text,
            choices=answer.choices,
            number=answer.number,
            created_at=now,
        )
    )
    if response.answered_at is None:
        response.answered_at = now
    if response.member_id is None and member is not None:
        response.member_id = member.id  # a stranger who joined since the survey started
    conversation.step += 1
    conversation.reasked = False
    conversation.expires_at = now + dt.timedelta(hours=survey.expire_hours)
    if conversation.step < len(survey.questions):
        return question_text(survey.questions[conversation.step])
    conversation.closed_at = now
    return _complete(tenant, survey, response, member, now)


def _complete(tenant: Tenant, survey: Survey, response: SurveyResponse, member: Member | None, now: dt.datetime) -> str:
    db.flush()
    # Claimed in SQL: of two texts finishing the same response at once, only one books the reward.
    claimed = db.execute(
        update(SurveyResponse)
        .where(
            SurveyResponse.tenant_id == tenant.id,
            SurveyResponse.id == response.id,
            SurveyResponse.completed_at.is_(None),
        )
        .values(completed_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    rewarded = bool(claimed) and member is not None and survey.reward_points > 0
    if rewarded:
        book_adjustments(
            tenant,
            {member.id: survey.reward_points},
            note=_("Survey: %(name)s", name=survey.name),
            reason=EntryReason.GIFT,
        )
        db.refresh(member, ["points_balance"])
    # A coupon needs a member to hold it: a stranger's thanks has none ({coupon} reads empty).
    coupon = _issue_coupon(tenant, survey, response, member, now) if claimed and member and survey.coupon_offer else ""
    if survey.thank_you:
        return fill(survey.thank_you, tenant, member, coupon=coupon)
    if coupon:
        return _(
            "Thank you for your answers! Your coupon: %(code)s (%(offer)s).", code=coupon, offer=survey.coupon_offer
        )
    if rewarded:
        return _(
            "Thank you for your answers! %(points)d points were added: you have %(balance)d.",
            points=survey.reward_points,
            balance=member.points_balance,
        )
    return _("Thank you for your answers!")


def _issue_coupon(tenant: Tenant, survey: Survey, response: SurveyResponse, member: Member, now: dt.datetime) -> str:
    """The code of the coupon `response` earns; the survey keeps the prefix its first coupon took."""
    prefix = db.scalar(
        select(func.substr(Coupon.code, 1, 3))
        .join(SurveyResponse, SurveyResponse.id == Coupon.survey_response_id)
        .where(
            Coupon.tenant_id == tenant.id, SurveyResponse.tenant_id == tenant.id, SurveyResponse.survey_id == survey.id
        )
        .limit(1)
    )
    expires_at = now + dt.timedelta(days=survey.coupon_valid_days)
    owner = {"survey_response_id": response.id}
    return issue_coupon(tenant, prefix or free_prefix(tenant), member.id, owner, expires_at).code
