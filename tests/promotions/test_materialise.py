"""A run written into the outbox: who gets what, the hold-out, coupons, quiet hours, the daily cap, credit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from mcrm.credits.services import credit_balance, grant, spend
from mcrm.db import db
from mcrm.messaging.models import Message, MessageKind, MessageStatus, SuppressReason
from mcrm.messaging.services import queue_sms
from mcrm.promotions.materialise import RunAlreadyStarted, materialise_run
from mcrm.promotions.models import Coupon, PromotionHoldout, PromotionStatus
from sms_gateway.encoding import sms_shape
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.promotions.delivery import MORNING, add_member, add_promotion


@pytest.fixture
def shop(ctx, shop_a, shop_b):
    """Shop A with members (one opted out), and a member of shop B who must never be reached."""
    with scoped_to(shop_b.tenant.id):
        add_member(db.get(Tenant, shop_b.tenant.id), "+8613900000099", "Bystander")
        db.commit()
    with scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        tenant.signature = "Shop A: "
        add_member(tenant, "+8613900000001", "Ann", points_balance=120)
        add_member(tenant, "+8613900000002", "张三", points_balance=5)
        add_member(tenant, "+8613900000003", "", locale="zh_CN")
        add_member(tenant, "+8613900000004", "Gone", opted_out_at=MORNING - dt.timedelta(days=1))
        db.commit()
        yield tenant


def _messages(tenant: Tenant) -> list[Message]:
    return db.scalars(select(Message).where(Message.promotion_run_id.is_not(None)).order_by(Message.phone)).all()


def test_one_personalised_message_per_member_who_has_not_opted_out(shop):
    promotion = add_promotion(shop)
    before = credit_balance(shop)
    run = materialise_run(shop, promotion, MORNING, MORNING)
    db.commit()
    sent = _messages(shop)
    assert [(m.phone, m.body) for m in sent] == [
        ("+8613900000001", "Shop A: Hi Ann, you have 120 points. Reply STOP to opt out"),
        ("+8613900000002", "Shop A: Hi 张三, you have 5 points. Reply STOP to opt out"),
        ("+8613900000003", "Shop A: Hi 朋友, you have 0 points. Reply STOP to opt out"),
    ]
    assert all(m.status == MessageStatus.QUEUED and m.kind == MessageKind.MARKETING for m in sent)
    assert [(m.encoding, m.parts) for m in sent] == [
        (sms_shape(m.body).encoding, sms_shape(m.body).count) for m in sent
    ]
    assert {m.dedupe_key for m in sent} == {f"promo:{run.id}:{m_id}" for m_id in _member_ids(sent, shop)}
    cost = sum(m.parts for m in sent)
    assert (run.audience, run.held_out, run.messages, run.credits) == (3, 0, 3, cost)
    assert credit_balance(shop) == before - cost
    assert promotion.status == PromotionStatus.SENDING


def _member_ids(messages, tenant):
    from mcrm.members.models import Member

    phones = [m.phone for m in messages]
    return db.scalars(select(Member.id).where(Member.tenant_id == tenant.id, Member.phone.in_(phones))).all()


def test_a_second_start_of_the_same_run_is_refused(shop):
    promotion = add_promotion(shop)
    materialise_run(shop, promotion, MORNING, MORNING)
    db.commit()
    with pytest.raises(RunAlreadyStarted):
        materialise_run(shop, promotion, MORNING, MORNING)
    assert len(_messages(shop)) == 3


def test_the_hold_out_is_an_exact_share_and_is_not_sent(shop):
    for n in range(5, 25):
        add_member(shop, f"+86139000001{n:02d}", f"M{n}")
    promotion = add_promotion(shop, holdout_percent=25)  # 23 members: round(5.75) = 6 held out
    run = materialise_run(shop, promotion, MORNING, MORNING)
    db.commit()
    held = set(db.scalars(select(PromotionHoldout.member_id).where(PromotionHoldout.run_id == run.id)))
    sent_phones = {m.phone for m in _messages(shop)}
    sent = set(_member_ids(_messages(shop), shop))
    assert len(held) == 6 and len(sent) == 17 and not held & sent
    assert "+8613900000004" not in sent_phones
    assert (run.audience, run.held_out, run.messages) == (23, 6, 17)


def test_each_message_carries_its_own_coupon(shop):
    promotion = add_promotion(shop, body="Show {coupon} at the till, {name}.", coupon_enabled=True)
    run = materialise_run(shop, promotion, MORNING, MORNING)
    db.commit()
    coupons = db.scalars(select(Coupon).where(Coupon.run_id == run.id)).all()
    codes = {c.member_id: c.code for c in coupons}
    assert len(codes) == 3 and len(set(codes.values())) == 3
    assert all(re.fullmatch(rf"{run.coupon_prefix}\d{{6}}", code) for code in codes.values())
    assert all(c.expires_at == MORNING + dt.timedelta(days=30) for c in coupons)
    bodies = {m.phone: m.body for m in _messages(shop)}
    for member_id, code in codes.items():
        from mcrm.members.models import Member

        assert code in bodies[db.get(Member, member_id).phone]
    second = materialise_run(shop, promotion, MORNING + dt.timedelta(days=7), MORNING + dt.timedelta(days=7))
    assert second.coupon_prefix != run.coupon_prefix


def test_quiet_hours_defer_every_message_to_the_shops_morning(shop):
    night = dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC)  # 22:00 in Shanghai
    promotion = add_promotion(shop, next_run_at=night)
    materialise_run(shop, promotion, night, night)
    db.commit()
    morning = dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)  # 08:00 in Shanghai
    assert {(m.status, m.send_after, m.expires_at) for m in _messages(shop)} == {
        (MessageStatus.DEFERRED, morning, morning + dt.timedelta(hours=24))
    }


def test_the_daily_cap_suppresses_without_charging(shop):
    queue_sms(shop, "+8613900000001", "Earlier offer", MessageKind.MARKETING, now=MORNING - dt.timedelta(hours=1))
    db.commit()
    before = credit_balance(shop)
    run = materialise_run(shop, add_promotion(shop), MORNING, MORNING)
    db.commit()
    by_phone = {m.phone: m for m in _messages(shop)}
    capped = by_phone["+8613900000001"]
    assert (capped.status, capped.suppressed_reason) == (MessageStatus.SUPPRESSED, SuppressReason.DAILY_CAP)
    charged = sum(m.parts for m in by_phone.values() if m.status == MessageStatus.QUEUED)
    assert run.credits == charged and credit_balance(shop) == before - charged and run.messages == 3


def test_not_enough_credit_queues_nothing_and_fails_the_promotion(shop):
    spend(shop, credit_balance(shop) - 5)
    promotion = add_promotion(shop, body="Hi {name}! " + "A long winter offer. " * 20)
    balance = credit_balance(shop)
    run = materialise_run(shop, promotion, MORNING, MORNING)
    db.commit()
    assert _messages(shop) == [] and db.scalars(select(Coupon)).all() == []
    assert run.error.startswith("Not enough SMS credit: needs ") and run.error.endswith(f"the shop has {balance}.")
    need = int(run.error.split("needs ")[1].split(",")[0])
    assert need > balance and credit_balance(shop) == balance
    assert promotion.status == PromotionStatus.FAILED and promotion.last_error == run.error
    grant(shop, need)
    promotion.status = PromotionStatus.SCHEDULED
    retried = materialise_run(shop, promotion, MORNING + dt.timedelta(minutes=5), MORNING)
    assert retried.error is None and len(_messages(shop)) == 3
