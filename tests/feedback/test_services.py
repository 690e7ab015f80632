"""Feedback texted in through the real inbound path, the owners' complaint alerts, answering and closing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mcrm.credits.services import spend
from mcrm.db import db
from mcrm.feedback.models import Feedback, FeedbackAnswer, FeedbackKind, FeedbackStatus
from mcrm.feedback.services import (
    FeedbackError,
    answer_feedback,
    answer_times,
    close_feedback,
    complaint_alert,
    masked_phone,
    reopen_feedback,
)
from mcrm.members.models import Source
from mcrm.members.services import create_member
from mcrm.messaging.counter import cost
from mcrm.messaging.inbound import answer_inbound, store_inbound
from mcrm.messaging.models import Direction, Message, MessageKind
from tenants.isolation import unscoped
from tenants.models import Tenant, User
from tenants.numbers import sms_number

CONSUMER = "+8613800138000"
OWNER_MOBILE = "+8613900139001"


def text(tenant_id: int, body: str, phone: str = CONSUMER) -> None:
    """A consumer texts the shop, as the gateway would hand it over."""
    with unscoped():
        message = store_inbound(sms_number(db.get(Tenant, tenant_id)), phone.lstrip("+"), body)
        assert message is not None, "stored as a duplicate"
        answer_inbound(message)
        db.commit()


def inbox(tenant_id: int) -> list[Feedback]:
    with unscoped():
        db.expire_all()
        query = select(Feedback).where(Feedback.tenant_id == tenant_id).options(selectinload(Feedback.answers))
        return db.scalars(query.order_by(Feedback.id)).all()


def sent_to(tenant_id: int, phone: str) -> list[Message]:
    with unscoped():
        query = select(Message).where(
            Message.tenant_id == tenant_id, Message.phone == phone, Message.direction == Direction.OUT
        )
        return db.scalars(query.order_by(Message.id)).all()


def credit(tenant_id: int) -> int:
    with unscoped():
        db.expire_all()
        return db.get(Tenant, tenant_id).sms_credit


@pytest.fixture(autouse=True)
def _all_shops(ctx, shops):
    """These tests call services directly, as the gateway does: across shops, each query naming its shop.
    (After the shops are made: making them ends an app context, which clears the scope.)"""
    with unscoped():
        yield


@pytest.fixture
def shop(ctx, shop_a):
    """Shop A, its owner with a registered mobile (so complaints can reach it)."""
    with unscoped():
        db.get(User, shop_a.owner.id).phone = OWNER_MOBILE
        db.commit()
        return db.get(Tenant, shop_a.tenant.id)


@pytest.fixture
def owner(shop, shop_a) -> User:
    with unscoped():
        return db.get(User, shop_a.owner.id)


def test_a_complaint_texted_in_lands_in_the_inbox_open_with_the_member_linked(shop, shop_b):
    with unscoped():
        member = create_member(shop, phone="13800138000", name="王芳", source=Source.PORTAL)
        db.commit()
    text(shop.id, "TS 汤是凉的")
    [feedback] = inbox(shop.id)
    assert (feedback.kind, feedback.status, feedback.text) == (FeedbackKind.COMPLAINT, FeedbackStatus.OPEN, "汤是凉的")
    assert (feedback.phone, feedback.member_id) == (CONSUMER, member.id)
    assert feedback.message_id is not None and feedback.first_answered_at is None
    assert inbox(shop_b.tenant.id) == []


@pytest.mark.parametrize(
    ("body", "kind", "saved"),
    [
        ("FK 菜很好吃", FeedbackKind.FEEDBACK, "菜很好吃"),
        ("建议 多开一家店", FeedbackKind.SUGGESTION, "多开一家店"),
        ("JY more seats", FeedbackKind.SUGGESTION, "more seats"),
        ("别再发了", FeedbackKind.STOP_REQUEST, "别再发了"),
    ],
)
def test_each_keyword_files_its_kind_and_a_stranger_is_not_linked(shop, body, kind, saved):
    text(shop.id, body)
    [feedback] = inbox(shop.id)
    assert (feedback.kind, feedback.text, feedback.member_id) == (kind, saved, None)


def test_the_consumer_is_acknowledged_at_once(shop):
    text(shop.id, "FB the music is too loud")
    [reply] = sent_to(shop.id, CONSUMER)
    assert reply.kind == MessageKind.REPLY
    assert reply.body == "【Shop A】Thank you. Shop A has received your message and will reply soon."


def test_the_owner_with_a_mobile_gets_a_short_alert_in_their_language(shop, owner):
    with unscoped():
        owner.locale = "zh_CN"
        db.commit()
    text(shop.id, "投诉 " + "服务员态度很差，等了一个小时才上菜，" * 5)
    [feedback] = inbox(shop.id)
    [alert] = sent_to(shop.id, OWNER_MOBILE)
    assert alert.kind == MessageKind.TRANSACTIONAL
    assert alert.dedupe_key == f"complaint-alert:{feedback.id}:{owner.id}"
    assert alert.body.startswith("【Shop A】") and "138****8000" in alert.body and "服务员态度很差" in alert.body
    assert alert.body.endswith("…") and alert.parts == 1


def test_a_short_complaint_is_alerted_whole(shop):
    text(shop.id, "TS cold soup")
    [alert] = sent_to(shop.id, OWNER_MOBILE)
    assert alert.body == "【Shop A】Complaint from 138****8000: cold soup"


def test_only_active_owners_with_a_mobile_are_alerted_and_only_for_complaints(shop, owner, shop_b):
    with unscoped():
        staff = db.scalar(select(User).where(User.tenant_id == shop.id, User.role == "staff"))
        staff.phone = "+8613900139002"  # staff are not alerted
        db.get(User, shop_b.owner.id).phone = "+8613900139003"  # nor the owners of another shop
        db.commit()
    text(shop.id, "FK nice place")
    text(shop.id, "JY more seats")
    assert sent_to(shop.id, OWNER_MOBILE) == []
    text(shop.id, "TS cold soup")
    assert len(sent_to(shop.id, OWNER_MOBILE)) == 1
    assert sent_to(shop.id, "+8613900139002") == [] and sent_to(shop_b.tenant.id, "+8613900139003") == []
    with unscoped():
        owner.active = False
        db.commit()
    text(shop.id, "TS still cold")
    assert len(sent_to(shop.id, OWNER_MOBILE)) == 1


def test_nobody_is_alerted_when_the_shop_turned_alerts_off(shop):
    with unscoped():
        db.get(Tenant, shop.id).complaint_alerts = False
        db.commit()
    text(shop.id, "TS cold soup")
    assert inbox(shop.id)[0].kind == FeedbackKind.COMPLAINT
    assert sent_to(shop.id, OWNER_MOBILE) == []


def test_a_complaint_is_filed_even_when_the_shop_has_no_credit(shop):
    with unscoped():
        tenant = db.get(Tenant, shop.id)
        spend(tenant, tenant.sms_credit)
        db.commit()
    text(shop.id, "TS cold soup")
    [feedback] = inbox(shop.id)
    assert (feedback.kind, feedback.status, feedback.text) == (FeedbackKind.COMPLAINT, FeedbackStatus.OPEN, "cold soup")
    assert sent_to(shop.id, OWNER_MOBILE) == [] and credit(shop.id) == 0


def test_the_alert_fits_one_sms_whatever_the_signature_and_language(ctx, shop_a):
    with unscoped():
        tenant = db.get(Tenant, shop_a.tenant.id)
        tenant.signature = "【一个名字很长很长的烧烤店】"
        for long_text in ("太慢了" * 100, "too slow " * 100):
            feedback = Feedback(tenant_id=tenant.id, kind=FeedbackKind.COMPLAINT, phone=CONSUMER, text=long_text)
            assert cost(tenant, complaint_alert(tenant, feedback), MessageKind.TRANSACTIONAL).parts == 1
        db.rollback()


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("+8613800138000", "138****8000"), ("+85291234567", "912****4567"), ("12345", "12345")],
)
def test_phones_are_masked_in_alerts(phone, masked):
    assert masked_phone(phone) == masked


# Answering, closing, reopening.


def _filed(shop, body="TS cold soup") -> Feedback:
    text(shop.id, body)
    return inbox(shop.id)[-1]


def test_an_answer_is_texted_to_the_consumer_and_the_first_answer_time_kept(shop, owner):
    feedback = _filed(shop)
    first = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    with unscoped():
        answer = answer_feedback(feedback, owner, "  Sorry! A free soup next time.  ", now=first)
        db.commit()
        message = db.get(Message, answer.message_id)
    assert (answer.text, answer.user_id, answer.created_at) == ("Sorry! A free soup next time.", owner.id, first)
    assert (message.phone, message.kind) == (CONSUMER, MessageKind.TRANSACTIONAL)
    assert message.body == "【Shop A】Sorry! A free soup next time."
    assert (feedback.status, feedback.first_answered_at) == (FeedbackStatus.ANSWERED, first)
    with unscoped():
        answer_feedback(feedback, owner, "And a dessert.", now=first + dt.timedelta(hours=2))
        db.commit()
    [feedback] = inbox(shop.id)
    assert feedback.first_answered_at == first and len(feedback.answers) == 2


def test_the_same_answer_form_sent_twice_answers_once(shop):
    feedback = _filed(shop)
    with unscoped():
        one = answer_feedback(feedback, None, "Sorry!", idempotency_key="k1")
        two = answer_feedback(feedback, None, "Sorry!", idempotency_key="k1")
        db.commit()
    assert one.id == two.id and len(inbox(shop.id)[0].answers) == 1


@pytest.mark.parametrize("body", ["", "   \n "])
def test_an_empty_answer_is_refused_and_nothing_recorded(shop, body):
    feedback = _filed(shop)
    before = credit(shop.id)
    with unscoped(), pytest.raises(FeedbackError, match="Write an answer first"):
        answer_feedback(feedback, None, body)
    db.rollback()
    assert inbox(shop.id)[0].status == FeedbackStatus.OPEN and credit(shop.id) == before


def test_an_answer_without_credit_is_refused_and_nothing_recorded(shop):
    feedback = _filed(shop)
    with unscoped():
        tenant = db.get(Tenant, shop.id)
        spend(tenant, tenant.sms_credit)
        db.commit()
        with pytest.raises(FeedbackError, match="Not enough SMS credit"):
            answer_feedback(feedback, None, "Sorry!")
        db.rollback()
        assert db.scalars(select(FeedbackAnswer)).all() == []
    [feedback] = inbox(shop.id)
    assert (feedback.status, feedback.first_answered_at) == (FeedbackStatus.OPEN, None)


def test_close_and_reopen_go_back_where_they_were(shop):
    unanswered, answered = _filed(shop, "TS cold soup"), _filed(shop, "FK loud music")
    with unscoped():
        answer_feedback(answered, None, "We will turn it down.")
        for feedback in (unanswered, answered):
            close_feedback(feedback)
            assert feedback.status == FeedbackStatus.CLOSED and feedback.closed_at is not None
        with pytest.raises(FeedbackError, match="reopen it"):
            answer_feedback(answered, None, "one more thing")
        reopen_feedback(unanswered)
        reopen_feedback(answered)
        db.commit()
    assert (unanswered.status, unanswered.closed_at) == (FeedbackStatus.OPEN, None)
    assert (answered.status, answered.closed_at) == (FeedbackStatus.ANSWERED, None)


def test_answer_times_take_the_median_and_average_of_the_last_30_days(ctx, shop_a):
    now = dt.datetime(2030, 6, 30, tzinfo=dt.UTC)
    with unscoped():
        tenant = db.get(Tenant, shop_a.tenant.id)
        assert answer_times(tenant, now).answered == 0
        for created_days_ago, wait_hours in ((3, 1), (5, 2), (10, 9), (40, 1), (2, None)):
            created = now - dt.timedelta(days=created_days_ago)
            db.add(
                Feedback(
                    tenant_id=tenant.id,
                    kind=FeedbackKind.FEEDBACK,
                    phone=CONSUMER,
                    text="x",
                    created_at=created,
                    first_answered_at=created + dt.timedelta(hours=wait_hours) if wait_hours else None,
                )
            )
        db.commit()
        times = answer_times(tenant, now)
    assert (times.answered, times.median, times.average) == (3, dt.timedelta(hours=2), dt.timedelta(hours=4))
