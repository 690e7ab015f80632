"""A survey sent to a segment: scheduled as a promotion, started by the promotions tick, one survey per recipient."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mcrm.apps.models import Conversation, ConversationKind
from mcrm.credits.services import credit_balance, spend
from mcrm.db import db
from mcrm.members.models import Member
from mcrm.messaging.models import Message, MessageKind, MessageStatus, SuppressReason
from mcrm.messaging.services import queue_sms
from mcrm.promotions.models import Promotion, PromotionStatus
from mcrm.promotions.ticks import run_due_promotions
from mcrm.segments.compile import audience_query
from mcrm.segments.conditions import SegmentError
from mcrm.segments.models import Segment
from mcrm.surveys.answers import question_text
from mcrm.surveys.models import QuestionKind, Survey, SurveyQuestion, SurveyResponse, SurveyStatus
from mcrm.surveys.sending import send_survey, survey_message
from mcrm.surveys.services import SurveyError
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.promotions.delivery import EVERYONE, MORNING, add_member

ANN, BOB, CAT, OLGA = "+8613900000001", "+8613900000002", "+8613900000003", "+8613900000004"
NIGHT = dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC)  # 22:00 in Shanghai: quiet hours
QUIET_END = dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)  # 08:00 in Shanghai


def make_survey(tenant: Tenant, name: str = "Lunch", status: SurveyStatus = SurveyStatus.OPEN, **fields) -> Survey:
    survey = Survey(tenant_id=tenant.id, name=name, intro="How was your meal?", status=status, **fields)
    survey.questions = [
        SurveyQuestion(
            tenant_id=tenant.id, position=0, prompt="The food?", kind=QuestionKind.SINGLE, options=["Good", "Bad"]
        ),
        SurveyQuestion(tenant_id=tenant.id, position=1, prompt="Score us", kind=QuestionKind.RATING10),
        SurveyQuestion(tenant_id=tenant.id, position=2, prompt="Anything else?", kind=QuestionKind.TEXT),
    ]
    db.add(survey)
    db.flush()
    return survey


@pytest.fixture
def shop(ctx, shop_a, shop_b):
    """Shop A (Shanghai) with Ann, Bob, Cat and Olga (opted out), an open survey and a segment of everyone;
    shop B has a member with Ann's phone, in the middle of a form."""
    with scoped_to(shop_b.tenant.id):
        tenant_b = db.get(Tenant, shop_b.tenant.id)
        add_member(tenant_b, ANN, "Ann in B")
        db.add(_conversation(tenant_b, ANN, ConversationKind.FORM))
        db.commit()
    with scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        tenant.signature = "Shop A: "
        for phone, name in ((ANN, "Ann"), (BOB, "Bob"), (CAT, "Cat")):
            add_member(tenant, phone, name)
        add_member(tenant, OLGA, "Olga", opted_out_at=MORNING - dt.timedelta(days=1))
        survey = make_survey(tenant)
        segment = Segment(tenant_id=tenant.id, name="Everyone", definition=EVERYONE)
        db.add(segment)
        db.commit()
        yield tenant, survey, segment


def _conversation(tenant: Tenant, phone: str, kind: ConversationKind, response_id: int | None = None):
    return Conversation(
        tenant_id=tenant.id,
        phone=phone,
        kind=kind,
        response_id=response_id,
        answers=[],
        started_at=MORNING - dt.timedelta(minutes=5),
        expires_at=MORNING + dt.timedelta(minutes=25),
    )


def _send(shop, now: dt.datetime = MORNING, send_at: dt.datetime | None = None) -> int:
    tenant, survey, segment = shop
    promotion_id = send_survey(tenant, survey, segment.id, send_at, None, now).id
    db.commit()
    return promotion_id


def _tick(now: dt.datetime) -> None:
    db.remove()
    run_due_promotions(now)


def _open_conversations(tenant_id: int) -> dict[str, Conversation]:
    with unscoped():
        db.expire_all()
        rows = db.scalars(
            select(Conversation).where(Conversation.tenant_id == tenant_id, Conversation.closed_at.is_(None))
        )
        return {conversation.phone: conversation for conversation in rows}


def _responses(survey_id: int) -> dict[str, SurveyResponse]:
    with unscoped():
        rows = db.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey_id))
        return {response.phone: response for response in rows}


def test_the_first_message_is_the_intro_and_the_first_question(shop):
    tenant, survey, _ = shop
    assert survey_message(tenant, survey) == "How was your meal?\n" + question_text(survey.questions[0])
    survey.intro = ""
    assert survey_message(tenant, survey) == question_text(survey.questions[0])


def test_sending_now_schedules_a_promotion_of_the_survey_for_now(shop):
    tenant, survey, segment = shop
    with scoped_to(tenant.id):
        promotion = db.get(Promotion, _send(shop))
        assert (promotion.name, promotion.survey_id, promotion.segment_id) == ("Survey: Lunch", survey.id, segment.id)
        assert promotion.body == survey_message(tenant, survey) and promotion.definition == EVERYONE
        assert (promotion.status, promotion.next_run_at) == (PromotionStatus.SCHEDULED, MORNING)
        assert (promotion.holdout_percent, promotion.coupon_enabled) == (0, False)


def test_a_scheduled_sending_runs_at_the_shops_local_time(shop):
    tenant, _, _ = shop
    with scoped_to(tenant.id):
        promotion = db.get(Promotion, _send(shop, send_at=dt.datetime(2026, 11, 25, 12, 0)))
        assert promotion.next_run_at == dt.datetime(2026, 11, 25, 4, 0, tzinfo=dt.UTC)  # noon in Shanghai


def test_the_tick_opens_one_survey_per_recipient_and_closes_their_earlier_conversation(shop, shop_b):
    tenant, survey, _ = shop
    with scoped_to(tenant.id):
        # Cat already had today's marketing message: the survey is suppressed for her by the daily cap.
        queue_sms(tenant, CAT, "Earlier offer", MessageKind.MARKETING, now=MORNING - dt.timedelta(hours=1))
        # Ann is in the middle of a form, Bob of another survey.
        older = make_survey(tenant, "Service")
        earlier = SurveyResponse(tenant_id=tenant.id, survey_id=older.id, phone=BOB, started_at=MORNING)
        db.add(earlier)
        db.flush()
        db.add_all(
            [
                _conversation(tenant, ANN, ConversationKind.FORM),
                _conversation(tenant, BOB, ConversationKind.SURVEY, earlier.id),
            ]
        )
        db.commit()
        earlier_ids = {c.id for c in _open_conversations(tenant.id).values()}
    _send(shop)
    _tick(MORNING)

    with unscoped():
        messages = {m.phone: m for m in db.scalars(select(Message).where(Message.promotion_run_id.is_not(None)))}
    assert set(messages) == {ANN, BOB, CAT}  # not Olga, who opted out
    assert messages[CAT].suppressed_reason == SuppressReason.DAILY_CAP
    assert messages[ANN].status == MessageStatus.QUEUED and question_text(survey.questions[0]) in messages[ANN].body

    responses = _responses(survey.id)
    assert set(responses) == {ANN, BOB}
    opened = _open_conversations(tenant.id)
    assert set(opened) == {ANN, BOB}
    assert not earlier_ids & {c.id for c in opened.values()}
    for phone, conversation in opened.items():
        response = responses[phone]
        assert (conversation.kind, conversation.response_id, conversation.member_id) == (
            ConversationKind.SURVEY,
            response.id,
            response.member_id,
        )
        assert (conversation.step, conversation.answers, conversation.reasked) == (0, [], False)
        assert (conversation.started_at, conversation.expires_at) == (MORNING, MORNING + dt.timedelta(hours=48))
        assert response.started_at == MORNING and response.run_id is not None and response.answered_at is None
    # Shop B's conversation with the same phone is none of shop A's business.
    assert set(_open_conversations(shop_b.tenant.id)) == {ANN}


def test_a_survey_sent_in_quiet_hours_expires_counting_from_the_morning(shop):
    tenant, survey, _ = shop
    with scoped_to(tenant.id):
        survey.expire_hours = 24
        db.commit()
    _send(shop, now=NIGHT)
    _tick(NIGHT)
    opened = _open_conversations(tenant.id)
    assert set(opened) == {ANN, BOB, CAT}
    assert {(c.started_at, c.expires_at) for c in opened.values()} == {(QUIET_END, QUIET_END + dt.timedelta(hours=24))}
    assert {r.started_at for r in _responses(survey.id).values()} == {QUIET_END}


def test_short_credit_is_refused_and_nothing_is_scheduled(shop):
    tenant, survey, segment = shop
    with scoped_to(tenant.id):
        spend(tenant, credit_balance(tenant) - 1)
        with pytest.raises(SurveyError, match="Not enough SMS credit"):
            send_survey(tenant, survey, segment.id, None, None, MORNING)
        db.rollback()
        assert db.scalars(select(Promotion)).all() == []


@pytest.mark.parametrize(
    ("status", "questions", "problem"),
    [
        (SurveyStatus.DRAFT, True, "Open the survey"),
        (SurveyStatus.CLOSED, True, "Open the survey"),
        (SurveyStatus.OPEN, False, "at least one question"),
    ],
)
def test_only_an_open_survey_with_questions_is_sent(shop, status, questions, problem):
    tenant, _, segment = shop
    with scoped_to(tenant.id):
        survey = make_survey(tenant, "Other", status=status)
        if not questions:
            survey.questions = []
        with pytest.raises(SurveyError, match=problem):
            send_survey(tenant, survey, segment.id, None, None, MORNING)
        with pytest.raises(SurveyError, match="Choose a segment"):
            send_survey(tenant, shop[1], None, None, None, MORNING)


def test_a_survey_closed_after_it_was_scheduled_sends_nothing(shop):
    tenant, survey, _ = shop
    promotion_id = _send(shop)
    with scoped_to(tenant.id):
        db.get(Survey, survey.id).status = SurveyStatus.CLOSED
        db.commit()
    _tick(MORNING)
    with unscoped():
        promotion = db.get(Promotion, promotion_id)
        assert promotion.status == PromotionStatus.FAILED and "not open" in promotion.last_error
        assert db.scalars(select(Message).where(Message.promotion_run_id.is_not(None))).all() == []
    assert _open_conversations(tenant.id) == {} and _responses(survey.id) == {}


def _members_of(tenant: Tenant, condition: dict) -> set[str]:
    definition = {"match": "all", "groups": [{"match": "all", "conditions": [condition]}]}
    ids = audience_query(tenant, definition, MORNING).subquery()
    return set(db.scalars(select(Member.phone).where(Member.id.in_(select(ids.c.member_id)))))


def test_the_survey_answered_condition(shop, shop_b):
    tenant, survey, _ = shop
    with scoped_to(shop_b.tenant.id):
        other = make_survey(db.get(Tenant, shop_b.tenant.id), "B's survey")
        db.commit()
    _send(shop)
    _tick(MORNING)
    with scoped_to(tenant.id):
        tenant = db.get(Tenant, tenant.id)
        response = db.scalar(select(SurveyResponse).where(SurveyResponse.phone == ANN))
        response.answered_at = MORNING + dt.timedelta(minutes=3)
        db.flush()
        assert _members_of(tenant, {"field": "survey", "op": "answered", "value": survey.id}) == {ANN}
        # Bob was asked but did not answer, Cat was never asked; Olga opted out.
        assert _members_of(tenant, {"field": "survey", "op": "not_answered", "value": str(survey.id)}) == {BOB, CAT}
        with pytest.raises(SegmentError, match="unknown survey"):
            _members_of(tenant, {"field": "survey", "op": "answered", "value": other.id})
