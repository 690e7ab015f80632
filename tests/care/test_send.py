"""One occasion of a rule into the outbox: the texts, quiet hours, at most one greeting per rule and year,
gifts, and the credit charged once (or the run failed with the reason when it is short)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mcrm.care.models import GreetingKind, GreetingRunStatus
from mcrm.care.send import AlreadyGreeted, send_greetings
from mcrm.credits.models import CreditEntry
from mcrm.credits.services import credit_balance, spend
from mcrm.db import db
from mcrm.messaging.models import Message, MessageKind, MessageStatus
from mcrm.points.models import EntryReason, LedgerEntry
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.care import add_member, add_rule

MID_AUTUMN = dt.date(2027, 9, 15)
# 10:00 in Shanghai, outside the shops' quiet hours (21:00–08:00).
MORNING = dt.datetime(2027, 9, 15, 2, tzinfo=dt.UTC)


@pytest.fixture
def tenant(ctx, shop_a, shop_b):
    with scoped_to(shop_b.tenant.id):
        add_member(db.get(Tenant, shop_b.tenant.id), "+8613800000001", "Bystander", birthday_month=9, birthday_day=15)
        db.commit()
    with scoped_to(shop_a.tenant.id):
        yield db.get(Tenant, shop_a.tenant.id)


def _messages(tenant):
    return db.scalars(select(Message).where(Message.tenant_id == tenant.id).order_by(Message.phone)).all()


def test_each_member_gets_their_greeting_in_the_outbox(tenant):
    add_member(tenant, "+8613900000001", "Ann", birthday_month=9, birthday_day=15)
    add_member(tenant, "+8613900000002", "", birthday_month=8, birthday_day=15, birthday_lunar=True)
    add_member(tenant, "+8613900000003", "Not today", birthday_month=9, birthday_day=16)
    rule = add_rule(tenant, GreetingKind.BIRTHDAY, template="Happy birthday, {name}! From all of us at {shop}.")
    run = send_greetings(tenant, rule, MID_AUTUMN, MORNING, MORNING)
    db.commit()
    assert (run.status, run.messages, run.error) == (GreetingRunStatus.SENT, 2, None)
    messages = _messages(tenant)
    # Care: the signature leads, no opt-out line (that is for marketing).
    assert [(m.phone, m.body, m.kind, m.status) for m in messages] == [
        (
            "+8613900000001",
            "【Shop A】Happy birthday, Ann! From all of us at Shop A.",
            MessageKind.CARE,
            MessageStatus.QUEUED,
        ),
        (
            "+8613900000002",
            "【Shop A】Happy birthday, friend! From all of us at Shop A.",
            MessageKind.CARE,
            MessageStatus.QUEUED,
        ),
    ]
    assert all(m.expires_at == MORNING + dt.timedelta(hours=24) for m in messages)
    # The credit is charged once, for the run.
    assert credit_balance(tenant) == 100 - sum(m.parts for m in messages)
    assert len(db.scalars(select(CreditEntry).where(CreditEntry.note.like("Greeting%"))).all()) == 1
    with pytest.raises(AlreadyGreeted):
        send_greetings(tenant, rule, MID_AUTUMN, MORNING, MORNING)


def test_in_quiet_hours_greetings_wait_for_the_morning(tenant):
    add_member(tenant, "+8613900000001", "Ann", birthday_month=9, birthday_day=15)
    rule = add_rule(tenant, GreetingKind.BIRTHDAY, send_hour=7)
    seven = dt.datetime(2027, 9, 14, 23, tzinfo=dt.UTC)  # 07:00 in Shanghai; quiet until 08:00
    send_greetings(tenant, rule, MID_AUTUMN, seven, seven)
    (message,) = _messages(tenant)
    assert message.status == MessageStatus.DEFERRED
    assert message.send_after == dt.datetime(2027, 9, 15, 0, tzinfo=dt.UTC)
    assert message.expires_at == message.send_after + dt.timedelta(hours=24)


def test_a_member_gets_one_greeting_per_rule_and_year(tenant):
    add_member(tenant, "+8613900000001", "Ann")
    rule = add_rule(tenant, GreetingKind.HOLIDAY, holiday_key="Chinese New Year (Spring Festival)")
    spring = dt.datetime(2027, 2, 6, 2, tzinfo=dt.UTC)
    assert send_greetings(tenant, rule, dt.date(2027, 2, 6), spring, spring).messages == 1
    # The owner moves the rule to the Lantern Festival: Ann had this rule's greeting this year already.
    add_member(tenant, "+8613900000002", "Bo")
    rule.holiday_key = "Lantern Festival"
    lantern = dt.datetime(2027, 2, 20, 2, tzinfo=dt.UTC)
    run = send_greetings(tenant, rule, dt.date(2027, 2, 20), lantern, lantern)
    assert run.messages == 1
    assert [m.phone for m in _messages(tenant)] == ["+8613900000001", "+8613900000002"]
    # Next year, everyone again.
    next_year = dt.datetime(2028, 2, 9, 2, tzinfo=dt.UTC)
    assert send_greetings(tenant, rule, dt.date(2028, 2, 9), next_year, next_year).messages == 2


def test_gift_points_are_credited_once_with_the_greeting(tenant):
    ann = add_member(tenant, "+8613900000001", "Ann", birthday_month=9, birthday_day=15, points_balance=40)
    add_member(tenant, "+8613900000002", "Bo", birthday_month=9, birthday_day=16, points_balance=40)
    rule = add_rule(
        tenant, GreetingKind.BIRTHDAY, name="Birthday", template="{name}, you now have {points} points.", gift_points=50
    )
    send_greetings(tenant, rule, MID_AUTUMN, MORNING, MORNING)
    db.commit()
    rule.send_hour = 15  # the owner changes the hour: the day it was sent on stays sent
    with pytest.raises(AlreadyGreeted):
        send_greetings(tenant, rule, MID_AUTUMN, MORNING, MORNING)
    db.commit()
    db.refresh(ann)
    assert ann.points_balance == 90
    entries = db.scalars(select(LedgerEntry).where(LedgerEntry.tenant_id == tenant.id)).all()
    assert [(e.member_id, e.points, e.balance_after, e.reason, e.note) for e in entries] == [
        (ann.id, 50, 90, EntryReason.GIFT, "Greeting “Birthday”")
    ]
    (message,) = _messages(tenant)
    assert message.body == "【Shop A】Ann, you now have 90 points."


def test_not_enough_credit_fails_the_run_and_queues_nothing(tenant):
    ann = add_member(tenant, "+8613900000001", "Ann", birthday_month=9, birthday_day=15)
    add_member(tenant, "+8613900000002", "Bo", birthday_month=9, birthday_day=15)
    rule = add_rule(tenant, GreetingKind.BIRTHDAY, gift_points=10)
    spend(tenant, 99)
    run = send_greetings(tenant, rule, MID_AUTUMN, MORNING, MORNING)
    db.commit()
    assert run.status == GreetingRunStatus.FAILED
    assert run.error == "Not enough SMS credit: needs 2, the shop has 1."
    assert _messages(tenant) == []
    assert credit_balance(tenant) == 1
    assert db.scalars(select(LedgerEntry).where(LedgerEntry.tenant_id == tenant.id)).all() == []
    db.refresh(ann)
    assert ann.points_balance == 0
