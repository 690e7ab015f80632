"""A survey sent to a segment: a promotion with `survey_id` set, whose run also opens each recipient's survey.

The sending goes through the promotions' machinery (credit, opt-out, quiet hours, the daily cap, the
scheduler's tick); `open_survey_conversations` is what a survey run adds once its messages are written.
Its statements are Core, so the tenant hook does not scope them: every table is filtered on `tenant_id`
and every inserted row carries it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import JSON, and_, false, insert, literal, select, update

from mcrm.apps.models import Conversation, ConversationKind
from mcrm.db import db
from mcrm.members.models import Member
from mcrm.messaging.models import Message, MessageStatus
from mcrm.messaging.policies import quiet_until
from mcrm.promotions.models import Promotion, PromotionRun
from mcrm.promotions.services import Plan, PromotionError, create_promotion
from mcrm.surveys.answers import question_text
from mcrm.surveys.models import Survey, SurveyResponse, SurveyStatus
from mcrm.surveys.services import SurveyError
from tenants.models import Tenant, User

# The run's messages that will reach (or try to reach) their member; a suppressed one never leaves.
SENT_STATES = (MessageStatus.QUEUED, MessageStatus.DEFERRED)
NAME_LENGTH = 80  # Promotion.name


def survey_message(tenant: Tenant, survey: Survey) -> str:
    """The first SMS of the survey: its intro, then the first question with its answers."""
    parts = [survey.intro.strip(), question_text(survey.questions[0])]
    return "\n".join(part for part in parts if part)


def send_survey(
    tenant: Tenant,
    survey: Survey,
    segment_id: int | None,
    send_at: dt.datetime | None,
    by_user: User | None,
    now: dt.datetime,
) -> Promotion:
    """Schedule the survey's sending to the segment (now when `send_at` is None); the caller commits.

    `send_at` is a time as the owner typed it, naive in the shop's timezone (an aware one is converted).
    The promotions' checks apply: the segment, a time in the future, and enough credit for the whole
    audience (SurveyError, and nothing is scheduled, when it is short).
    """
    if survey.tenant_id != tenant.id:
        raise SurveyError(_("This survey belongs to another shop."))
    if survey.status != SurveyStatus.OPEN:
        raise SurveyError(_("Open the survey before sending it: a draft or closed survey takes no answers."))
    if not survey.questions:
        raise SurveyError(_("Add at least one question before sending the survey."))
    if send_at is not None and send_at.tzinfo is not None:
        send_at = send_at.astimezone(ZoneInfo(tenant.timezone)).replace(tzinfo=None)
    plan = Plan(
        name=_("Survey: %(name)s", name=survey.name)[:NAME_LENGTH],
        segment_id=segment_id,
        body=survey_message(tenant, survey),
        send_at_local=send_at,
        survey_id=survey.id,
    )
    try:
        return create_promotion(tenant, plan, by_user, now)
    except PromotionError as error:
        raise SurveyError(str(error), field=error.field) from None


def open_survey_conversations(tenant: Tenant, promotion: Promotion, run: PromotionRun, now: dt.datetime) -> None:
    """A response and an open survey conversation for every member the run's survey goes to.

    A recipient's earlier open conversation (a form, another survey) is closed first: the latest survey
    wins, and the shop has one open conversation per phone. Deferred messages (quiet hours) go out when
    the quiet hours end, so the survey starts, and its time to answer counts, from then. SurveyError when
    the survey is no longer open (materialise then fails the run, and nothing is queued).
    """
    survey = db.scalar(select(Survey).where(Survey.tenant_id == tenant.id, Survey.id == promotion.survey_id))
    if survey.status != SurveyStatus.OPEN or not survey.questions:
        # Closed (or emptied) since it was scheduled: no question goes out that nobody would take answers for.
        with force_locale(tenant.locale):
            raise SurveyError(_("The survey “%(name)s” is not open: nothing was sent.", name=survey.name))
    planned = quiet_until(tenant, now) or now  # as materialise plans the run's messages
    expires_at = planned + dt.timedelta(hours=survey.expire_hours)
    reached = and_(
        Message.tenant_id == tenant.id,
        Message.promotion_run_id == run.id,
        Message.status.in_(SENT_STATES),
    )
    db.execute(
        update(Conversation)
        .where(
            Conversation.tenant_id == tenant.id,
            Conversation.closed_at.is_(None),
            Conversation.phone.in_(select(Message.phone).where(reached)),
        )
        .values(closed_at=now)
        .execution_options(synchronize_session=False)
    )
    utc = SurveyResponse.started_at.type
    recipients = (
        select(
            literal(tenant.id),
            literal(survey.id),
            Member.id,
            Member.phone,
            literal(run.id),
            literal(planned, utc),
        )
        .select_from(Message)
        .join(Member, and_(Member.tenant_id == tenant.id, Member.phone == Message.phone))
        .where(reached)
    )
    db.execute(
        insert(SurveyResponse).from_select(
            ["tenant_id", "survey_id", "member_id", "phone", "run_id", "started_at"], recipients
        )
    )
    conversations = select(
        literal(tenant.id),
        SurveyResponse.phone,
        literal(ConversationKind.SURVEY.value),
        SurveyResponse.member_id,
        SurveyResponse.id,
        literal(0),
        # Serialised by the JSON type on both databases, as the model's default list is.
        literal([], JSON),
        false(),
        literal(planned, utc),
        literal(expires_at, utc),
    ).where(
        SurveyResponse.tenant_id == tenant.id,
        SurveyResponse.survey_id == survey.id,
        SurveyResponse.run_id == run.id,
    )
    db.execute(
        insert(Conversation).from_select(
            [
                "tenant_id",
                "phone",
                "kind",
                "member_id",
                "response_id",
                "step",
                "answers",
                "reasked",
                "started_at",
                "expires_at",
            ],
            conversations,
        )
    )
