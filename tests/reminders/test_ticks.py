"""The reminders tick: one transactional SMS per recipient at the due time, once, recorded; then the next."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from mcrm.credits.services import credit_balance, spend
from mcrm.db import db
from mcrm.messaging.models import Message, MessageKind, MessageStatus
from mcrm.reminders.models import ReminderRepeat, ReminderSend, ReminderSendStatus
from mcrm.reminders.services import pause_reminder
from mcrm.reminders.ticks import run_due_reminders
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.reminders.helpers import DUE, OWNER_A, OWNER_B, STAFF_A, add_reminder, get_reminder, give_phones


@pytest.fixture
def shops(ctx, shop_a, shop_b):
    give_phones(shop_a, shop_b)
    return shop_a, shop_b


def _messages() -> list[tuple[int, str, MessageKind, MessageStatus, str]]:
    with unscoped():
        rows = db.execute(
            select(Message.tenant_id, Message.phone, Message.kind, Message.status, Message.body).order_by(Message.id)
        ).all()
    db.commit()
    return [tuple(row) for row in rows]


def _sends(reminder_id: int) -> list[tuple]:
    with unscoped():
        rows = db.execute(
            select(ReminderSend.due_at, ReminderSend.status, ReminderSend.messages, ReminderSend.error)
            .where(ReminderSend.reminder_id == reminder_id)
            .order_by(ReminderSend.due_at)
        ).all()
    db.commit()
    return [tuple(row) for row in rows]


def test_due_reminder_texts_each_recipient_once_and_moves_on(shops):
    shop_a, shop_b = shops
    daily = add_reminder(shop_a.tenant.id, [shop_a.owner.id, shop_a.staff.id], repeat=ReminderRepeat.DAILY)
    other = add_reminder(shop_b.tenant.id, [shop_b.owner.id], text="Count the stock")
    assert run_due_reminders(DUE - dt.timedelta(seconds=1)) == 0
    assert _messages() == []

    assert run_due_reminders(DUE + dt.timedelta(seconds=20)) == 2
    a, b = shop_a.tenant.id, shop_b.tenant.id
    sent = [(t, p, k, s) for t, p, k, s, _body in _messages()]
    assert sorted(sent) == sorted(
        [
            (a, OWNER_A, MessageKind.TRANSACTIONAL, MessageStatus.QUEUED),
            (a, STAFF_A, MessageKind.TRANSACTIONAL, MessageStatus.QUEUED),
            (b, OWNER_B, MessageKind.TRANSACTIONAL, MessageStatus.QUEUED),
        ]
    )
    # The shop's signature leads; a transactional text has no opt-out line.
    assert {body for *_rest, body in _messages() if _rest[0] == a} == {"【Shop A】Supplier delivery at 10:00"}
    assert _sends(daily) == [(DUE, ReminderSendStatus.SENT, 2, None)]
    assert get_reminder(daily).next_at == DUE + dt.timedelta(days=1)
    assert get_reminder(other).next_at is None

    # A second tick (or a second scheduler) finds nothing to do.
    assert run_due_reminders(DUE + dt.timedelta(seconds=50)) == 0
    assert len(_messages()) == 3


@pytest.mark.postgres_only
def test_concurrent_ticks_text_each_recipient_once(app, shops):
    shop_a, shop_b = shops
    add_reminder(shop_a.tenant.id, [shop_a.owner.id, shop_a.staff.id], repeat=ReminderRepeat.DAILY)
    add_reminder(shop_b.tenant.id, [shop_b.owner.id])
    db.remove()
    barrier, results, errors = threading.Barrier(4), [], []

    def tick():
        with app.app_context():
            try:
                barrier.wait()
                results.append(run_due_reminders(DUE))
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
    assert sorted(p for _t, p, *_rest in _messages()) == sorted([OWNER_A, STAFF_A, OWNER_B])


def test_a_scheduler_down_past_the_grace_records_missed_and_sends_nothing(shops):
    shop_a, _ = shops
    daily = add_reminder(shop_a.tenant.id, [shop_a.owner.id], repeat=ReminderRepeat.DAILY)
    back = DUE + dt.timedelta(days=3, hours=2)  # down for three days, back at 11:00 local
    assert run_due_reminders(back) == 0
    assert _messages() == []
    # Recorded once, for the time it was due, and on to tomorrow's 09:00 (not three late texts).
    assert _sends(daily) == [
        (DUE, ReminderSendStatus.MISSED, 0, "missed: the scheduler was not running at 2027-05-03 09:00")
    ]
    assert get_reminder(daily).next_at == DUE + dt.timedelta(days=4)


def test_the_missed_reason_is_in_the_shops_language(shops):
    shop_a, _ = shops
    with scoped_to(shop_a.tenant.id):
        db.get(Tenant, shop_a.tenant.id).locale = "zh_CN"
        db.commit()
    reminder = add_reminder(shop_a.tenant.id, [shop_a.owner.id])
    run_due_reminders(DUE + dt.timedelta(hours=7))
    ((_due, status, _n, error),) = _sends(reminder)
    assert status == ReminderSendStatus.MISSED and "2027-05-03 09:00" in error and "missed" not in error


def test_within_the_grace_it_is_sent_late(shops):
    shop_a, _ = shops
    reminder = add_reminder(shop_a.tenant.id, [shop_a.owner.id])
    assert run_due_reminders(DUE + dt.timedelta(hours=5, minutes=59)) == 1
    assert [p for _t, p, *_rest in _messages()] == [OWNER_A]
    assert _sends(reminder) == [(DUE, ReminderSendStatus.SENT, 1, None)]


def test_the_grace_is_the_configured_one(app, shops):
    shop_a, _ = shops
    app.config["MCRM_SCHEDULER_GRACE_HOURS"] = 1
    reminder = add_reminder(shop_a.tenant.id, [shop_a.owner.id])
    assert run_due_reminders(DUE + dt.timedelta(hours=2)) == 0
    assert _sends(reminder)[0][1] == ReminderSendStatus.MISSED


def test_a_paused_reminder_never_sends(shops):
    shop_a, _ = shops
    reminder = add_reminder(shop_a.tenant.id, [shop_a.owner.id], repeat=ReminderRepeat.DAILY)
    with scoped_to(shop_a.tenant.id):
        pause_reminder(get_reminder(reminder))
        db.commit()
    for day in range(3):
        assert run_due_reminders(DUE + dt.timedelta(days=day)) == 0
    assert _messages() == [] and _sends(reminder) == []


def test_quiet_hours_do_not_hold_a_reminder_back(shops):
    shop_a, _ = shops
    late = dt.datetime(2027, 5, 3, 23, 30)  # inside the default quiet hours, 21:00–08:00
    reminder = add_reminder(shop_a.tenant.id, [shop_a.owner.id], at=late)
    due = get_reminder(reminder).next_at
    assert run_due_reminders(due) == 1
    with unscoped():
        message = db.scalar(select(Message))
        assert (message.status, message.send_after) == (MessageStatus.QUEUED, None)


def test_short_of_credit_the_send_fails_with_the_reason(shops):
    shop_a, _ = shops
    reminder = add_reminder(shop_a.tenant.id, [shop_a.owner.id, shop_a.staff.id])
    with scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        spend(tenant, credit_balance(tenant))
        db.commit()
    assert run_due_reminders(DUE) == 0
    assert _messages() == []
    assert _sends(reminder) == [
        (DUE, ReminderSendStatus.FAILED, 0, "Not enough SMS credit: this needs 2 and 0 are left.")
    ]
    assert get_reminder(reminder).next_at is None


def test_a_suspended_shop_is_not_texted(shops):
    shop_a, _ = shops
    add_reminder(shop_a.tenant.id, [shop_a.owner.id])
    with unscoped():
        db.get(Tenant, shop_a.tenant.id).status = "suspended"
        db.commit()
    assert run_due_reminders(DUE) == 0
    assert _messages() == []
