"""The pipeline's rules, with a controlled clock: opt-out, quiet hours, the daily cap, signature and opt-out
line, dedupe, and expiry; checked when queued and again when the gateway claims."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mcrm.credits.services import credit_balance
from mcrm.db import db
from mcrm.members.models import Source
from mcrm.members.services import create_member
from mcrm.messaging.models import Message, MessageKind, MessageStatus, SuppressReason
from mcrm.messaging.services import queue_sms
from sms_gateway.outbox import claim
from tenants.isolation import unscoped
from tenants.models import Tenant, TenantStatus

PHONE = "+8613800138000"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def at(hour, minute=0, day=24, zone=SHANGHAI, month=11):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=zone).astimezone(dt.UTC)


@pytest.fixture
def tenant(ctx, shop_a):
    with unscoped():
        yield db.get(Tenant, shop_a.tenant.id)


@pytest.fixture
def member(tenant):
    with unscoped():
        member = create_member(tenant, phone=PHONE, source=Source.PORTAL, name="Li")
        db.commit()
        return member


def _queue(tenant, kind, now, body="Weekend offer: 20% off", **kw):
    with unscoped():
        message = queue_sms(tenant, PHONE, body, kind, now=now, **kw)
        db.commit()
        return message


def _status(message_id):
    with unscoped():
        db.expire_all()
        return db.get(Message, message_id)


def _opt_out(member):
    with unscoped():
        member.opted_out_at = at(9)
        db.commit()


@pytest.mark.parametrize("kind", [MessageKind.MARKETING, MessageKind.CARE])
def test_an_opted_out_member_gets_no_care_or_marketing_and_it_costs_nothing(tenant, member, kind):
    _opt_out(member)
    before = credit_balance(tenant)
    message = _queue(tenant, kind, at(10))
    assert (message.status, message.suppressed_reason) == (MessageStatus.SUPPRESSED, SuppressReason.OPTED_OUT)
    assert credit_balance(tenant) == before


@pytest.mark.parametrize("kind", [MessageKind.REPLY, MessageKind.TRANSACTIONAL])
def test_replies_and_transactional_messages_still_reach_an_opted_out_member(tenant, member, kind):
    _opt_out(member)
    assert _queue(tenant, kind, at(10)).status == MessageStatus.QUEUED


def test_opting_out_after_queueing_suppresses_at_send_time_and_gives_the_credit_back(tenant, member):
    message = _queue(tenant, MessageKind.MARKETING, at(10))
    spent = credit_balance(tenant)
    _opt_out(member)
    assert claim("gw", 10, now=at(10, 1)) == []
    message = _status(message.id)
    assert (message.status, message.suppressed_reason) == (MessageStatus.SUPPRESSED, SuppressReason.OPTED_OUT)
    assert credit_balance(tenant) == spent + message.parts


def test_marketing_at_night_waits_for_the_end_of_quiet_hours_in_the_shops_timezone(tenant, member):
    message = _queue(tenant, MessageKind.MARKETING, at(22, 30))
    receipt = _queue(tenant, MessageKind.TRANSACTIONAL, at(22, 30), body="Points: 10")
    assert message.status == MessageStatus.DEFERRED and message.send_after == at(8, 0, day=25)
    assert receipt.status == MessageStatus.QUEUED
    assert [o.message_id for o in claim("gw", 10, now=at(23))] == [receipt.id]
    assert claim("gw", 10, now=at(7, 59, day=25)) == []
    assert [o.message_id for o in claim("gw", 10, now=at(8, 0, day=25))] == [message.id]


def test_quiet_hours_follow_the_shop_across_a_daylight_saving_change(tenant, member):
    with unscoped():
        tenant.timezone = "America/New_York"
        db.commit()
    # 2026-11-01: New York falls back from EDT to EST at 02:00; 08:00 that morning is 13:00 UTC.
    message = _queue(tenant, MessageKind.CARE, at(23, day=31, month=10, zone=NEW_YORK), body="Happy Halloween")
    assert message.send_after == dt.datetime(2026, 11, 1, 13, 0, tzinfo=dt.UTC)


def test_a_message_queued_before_quiet_hours_but_claimed_inside_them_is_deferred(tenant, member):
    message = _queue(tenant, MessageKind.MARKETING, at(20, 59))
    assert message.status == MessageStatus.QUEUED
    assert claim("gw", 10, now=at(21, 1)) == []
    message = _status(message.id)
    assert message.status == MessageStatus.DEFERRED and message.send_after == at(8, day=25)


def test_one_marketing_message_per_member_per_day_by_default(tenant, member):
    first = _queue(tenant, MessageKind.MARKETING, at(10), body="Offer one")
    second = _queue(tenant, MessageKind.MARKETING, at(15), body="Offer two")
    greeting = _queue(tenant, MessageKind.CARE, at(15), body="Happy birthday")
    tomorrow = _queue(tenant, MessageKind.MARKETING, at(10, day=25), body="Offer three")
    assert first.status == MessageStatus.QUEUED
    assert (second.status, second.suppressed_reason) == (MessageStatus.SUPPRESSED, SuppressReason.DAILY_CAP)
    assert greeting.status == MessageStatus.QUEUED  # the cap is on marketing only
    assert tomorrow.status == MessageStatus.QUEUED
    with unscoped():
        tenant.marketing_daily_cap = 2
        db.commit()
    assert _queue(tenant, MessageKind.MARKETING, at(16), body="Offer four").status == MessageStatus.QUEUED


def test_a_deferred_message_counts_on_the_day_it_will_be_sent(tenant, member):
    night = _queue(tenant, MessageKind.MARKETING, at(23), body="Night offer")  # goes at 08:00 on the 25th
    same_day = _queue(tenant, MessageKind.MARKETING, at(9, day=25), body="Morning offer")
    assert night.status == MessageStatus.DEFERRED
    assert same_day.status == MessageStatus.SUPPRESSED


def test_signature_leads_and_marketing_ends_with_the_opt_out_line(tenant, member):
    marketing = _queue(tenant, MessageKind.MARKETING, at(10), body="Weekend: 20% off")
    receipt = _queue(tenant, MessageKind.TRANSACTIONAL, at(10), body=f"{tenant.signature}Points: 10")
    assert marketing.body == f"{tenant.signature}Weekend: 20% off Reply STOP to opt out"
    assert receipt.body == f"{tenant.signature}Points: 10"  # not signed twice, no opt-out line
    with unscoped():
        tenant.locale = "zh_CN"
        tenant.marketing_daily_cap = 5
        db.commit()
    assert _queue(tenant, MessageKind.MARKETING, at(11), body="周末八折").body == f"{tenant.signature}周末八折回TD退订"
    with unscoped():
        tenant.opt_out_line = "拒收请回复R"
        db.commit()
    assert _queue(tenant, MessageKind.MARKETING, at(12), body="周末八折").body.endswith("周末八折拒收请回复R")
    # A text in lines (a survey's options) gets the line on a line of its own, not glued to the last option.
    options = _queue(tenant, MessageKind.MARKETING, at(13), body="您觉得菜品如何？\n1. 好\n2. 一般").body
    assert options.endswith("2. 一般\n拒收请回复R")


def test_a_dedupe_key_makes_the_second_queue_a_no_op(tenant, member):
    first = _queue(tenant, MessageKind.CARE, at(10), body="Happy birthday", dedupe_key="birthday:1:2026")
    spent = credit_balance(tenant)
    again = _queue(tenant, MessageKind.CARE, at(11), body="Happy birthday!", dedupe_key="birthday:1:2026")
    assert again.id == first.id and credit_balance(tenant) == spent
    with unscoped():
        assert len(db.scalars(select(Message)).all()) == 1


def test_marketing_that_could_not_go_for_a_day_expires_and_gives_the_credit_back(tenant, member):
    message = _queue(tenant, MessageKind.MARKETING, at(10))
    spent = credit_balance(tenant)
    with unscoped():
        tenant.status = TenantStatus.SUSPENDED
        db.commit()
    assert claim("gw", 10, now=at(10, 5)) == []
    with unscoped():  # the claim ended its session: change the shop through a fresh one
        db.get(Tenant, tenant.id).status = TenantStatus.ACTIVE
        db.commit()
    assert claim("gw", 10, now=at(11, day=25)) == []
    message = _status(message.id)
    assert message.status == MessageStatus.EXPIRED and credit_balance(tenant) == spent + message.parts
