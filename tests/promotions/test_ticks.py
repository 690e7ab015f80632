"""The scheduler's tick: due runs start once, whatever the number of ticks; stale runs are not sent."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, update

from mcrm.credits.services import credit_balance, spend
from mcrm.db import db
from mcrm.messaging.models import Message, MessageStatus
from mcrm.promotions.models import Promotion, PromotionRun, PromotionStatus, Repeat
from mcrm.promotions.ticks import run_due_promotions
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.promotions.delivery import MORNING, add_member, add_promotion

PHONES = ["+8613900000001", "+8613900000002", "+8613900000003"]


@pytest.fixture
def shops(ctx, shop_a, shop_b):
    """Both shops with three members each and a promotion due at MORNING."""
    ids = []
    for shop in (shop_a, shop_b):
        with scoped_to(shop.tenant.id):
            tenant = db.get(Tenant, shop.tenant.id)
            for n, phone in enumerate(PHONES):
                add_member(tenant, phone, f"Member {n}")
            ids.append(add_promotion(tenant).id)
            db.commit()
    db.remove()
    return shop_a.tenant.id, shop_b.tenant.id, ids


def _all(query):
    with unscoped():
        rows = db.execute(query).all()
    db.commit()
    return rows


def _runs_and_messages():
    runs = _all(
        select(PromotionRun.tenant_id, func.count()).group_by(PromotionRun.tenant_id).order_by(PromotionRun.tenant_id)
    )
    messages = _all(select(Message.tenant_id, Message.phone, func.count()).group_by(Message.tenant_id, Message.phone))
    return runs, messages


def test_two_ticks_start_each_run_once(shops):
    a, b, _ = shops
    assert run_due_promotions(MORNING) == 2
    assert run_due_promotions(MORNING + dt.timedelta(seconds=15)) == 0
    runs, messages = _runs_and_messages()
    assert runs == [(a, 1), (b, 1)]
    assert sorted(messages) == sorted((t, p, 1) for t in (a, b) for p in PHONES)


@pytest.mark.postgres_only
def test_concurrent_ticks_start_each_run_once(app, shops):
    a, b, _ = shops
    barrier, results, errors = threading.Barrier(4), [], []

    def tick():
        with app.app_context():
            try:
                barrier.wait()
                results.append(run_due_promotions(MORNING))
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                db.remove()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and sum(results) == 2
    runs, messages = _runs_and_messages()
    assert runs == [(a, 1), (b, 1)]
    assert sorted(messages) == sorted((t, p, 1) for t in (a, b) for p in PHONES)


def test_a_shop_short_of_credit_fails_alone(shops):
    _, b, (promotion_a, promotion_b) = shops
    with scoped_to(b):
        shop_b = db.get(Tenant, b)
        spend(shop_b, credit_balance(shop_b))
        db.commit()
    assert run_due_promotions(MORNING) == 1
    with unscoped():
        statuses = {p.id: (p.status, p.last_error) for p in db.scalars(select(Promotion))}
    assert statuses[promotion_a] == (PromotionStatus.SENDING, None)
    assert statuses[promotion_b] == (PromotionStatus.FAILED, "Not enough SMS credit: needs 3, the shop has 0.")


def test_a_one_off_promotion_is_sent_when_no_message_waits(shops):
    a, _, _ = shops
    run_due_promotions(MORNING)
    with unscoped():
        db.execute(update(Message).where(Message.tenant_id == a).values(status=MessageStatus.DELIVERED))
        db.execute(update(Message).where(Message.tenant_id != a).values(status=MessageStatus.SENDING))
        db.commit()
        run_due_promotions(MORNING + dt.timedelta(minutes=1))
        assert [p.status for p in db.scalars(select(Promotion).order_by(Promotion.id))] == [
            PromotionStatus.SENT,
            PromotionStatus.SENDING,
        ]


def test_a_weekly_promotion_waits_for_next_week(shops):
    _, _, (promotion_a, _) = shops
    with unscoped():
        db.execute(update(Promotion).where(Promotion.id == promotion_a).values(repeat=Repeat.WEEKLY))
        db.commit()
    run_due_promotions(MORNING)
    with unscoped():
        promotion = db.get(Promotion, promotion_a)
        assert (promotion.status, promotion.next_run_at) == (PromotionStatus.SCHEDULED, MORNING + dt.timedelta(days=7))
    db.commit()
    assert run_due_promotions(MORNING + dt.timedelta(days=1)) == 0
    assert run_due_promotions(MORNING + dt.timedelta(days=7, seconds=5)) == 1


def test_a_run_found_too_late_is_recorded_as_missed_not_sent(shops):
    a, b, (promotion_a, _) = shops
    late = MORNING + dt.timedelta(hours=7)
    assert run_due_promotions(late) == 0
    runs = _all(
        select(PromotionRun.tenant_id, PromotionRun.error, PromotionRun.messages).order_by(PromotionRun.tenant_id)
    )
    assert runs == [(t, "missed: the scheduler was not running at 2026-11-24 10:00", 0) for t in (a, b)]
    assert _all(select(func.count()).select_from(Message)) == [(0,)]
    with unscoped():
        assert db.get(Promotion, promotion_a).status == PromotionStatus.FAILED
