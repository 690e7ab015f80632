"""Shops whose owner and staff have mobiles, and reminders made through the service."""

from __future__ import annotations

import datetime as dt

from mcrm.db import db
from mcrm.reminders.models import Reminder, ReminderRepeat
from mcrm.reminders.services import Plan, create_reminder
from tenants.isolation import scoped_to
from tenants.models import Tenant, User

OWNER_A, STAFF_A, OWNER_B = "+8613800000001", "+8613800000002", "+8613800000003"
# 2027-05-03 is a Monday; 09:00 in Shanghai is 01:00 UTC.
CREATED = dt.datetime(2027, 5, 1, 0, 0, tzinfo=dt.UTC)
NINE = dt.datetime(2027, 5, 3, 9, 0)
DUE = dt.datetime(2027, 5, 3, 1, 0, tzinfo=dt.UTC)


def give_phones(shop_a, shop_b) -> None:
    """Mobiles for shop A's owner and staff and shop B's owner."""
    for shop, phones in ((shop_a, (OWNER_A, STAFF_A)), (shop_b, (OWNER_B, None))):
        with scoped_to(shop.tenant.id):
            for user_id, phone in zip((shop.owner.id, shop.staff.id), phones, strict=True):
                db.get(User, user_id).phone = phone
            db.commit()


def add_reminder(
    tenant_id: int,
    user_ids: list[int],
    *,
    text: str = "Supplier delivery at 10:00",
    at: dt.datetime = NINE,
    repeat: ReminderRepeat = ReminderRepeat.NONE,
    cron: str = "",
    now: dt.datetime = CREATED,
) -> int:
    with scoped_to(tenant_id):
        tenant = db.get(Tenant, tenant_id)
        plan = Plan(text=text, at_local=at, repeat=repeat, cron=cron, recipient_ids=user_ids)
        reminder = create_reminder(tenant, plan, db.get(User, user_ids[0]), now)
        db.commit()
        return reminder.id


def get_reminder(reminder_id: int) -> Reminder:
    from tenants.isolation import unscoped

    with unscoped():
        reminder = db.get(Reminder, reminder_id)
        db.refresh(reminder)
        return reminder
