"""The shop's reminders: create, change, pause, resume, delete, list; each function takes the shop first.

A reminder's `next_at` is what the scheduler's tick looks at; every change here re-computes it, so a
reminder never fires a time that was valid only before the change. The caller commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import case, delete, func, insert, or_, select
from sqlalchemy.orm import selectinload

from mcrm.db import db
from mcrm.promotions.schedule import LocalTimeError, local_to_utc
from mcrm.reminders.models import Reminder, ReminderRepeat, ReminderSend, reminder_recipients
from mcrm.reminders.schedule import CronError, cron_trigger, next_after, next_cron_time
from tenants.models import Tenant, User

RECENT_SENDS = 5


class ReminderError(ValueError):
    """What the form should say, and on which field (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Plan:
    """A reminder as the form describes it."""

    text: str
    at_local: dt.datetime | None  # naive shop-local; for a cron reminder only where it starts (None: now)
    repeat: ReminderRepeat
    cron: str
    recipient_ids: list[int]


def phone_users(tenant: Tenant) -> list[User]:
    """The shop's active users, those with a mobile first: the people a reminder can go to."""
    return list(
        db.scalars(
            select(User)
            .where(User.tenant_id == tenant.id, User.active.is_(True))
            .order_by(User.phone.is_(None), User.name, User.id)
        )
    )


def _recipients(tenant: Tenant, ids: list[int]) -> list[User]:
    wanted = set(ids)
    users = list(
        db.scalars(
            select(User).where(
                User.tenant_id == tenant.id,
                User.id.in_(wanted),
                User.active.is_(True),
                User.phone.is_not(None),
            )
        )
    )
    if not users or len(users) != len(wanted):
        raise ReminderError(_("Choose at least one person of your shop who has a mobile number."), "recipients")
    return users


def first_time(tenant: Tenant, plan: Plan, now: dt.datetime) -> dt.datetime:
    """The UTC time a plan first comes due; ReminderError when it cannot be read or never comes."""
    if plan.repeat == ReminderRepeat.CRON:
        try:
            trigger = cron_trigger(plan.cron, tenant.timezone)
        except CronError as error:
            raise ReminderError(str(error), "cron") from None
        start = _utc(tenant, plan.at_local) if plan.at_local else now
        first = next_cron_time(trigger, ZoneInfo(tenant.timezone), max(start, now) - dt.timedelta(microseconds=1))
        if first is None:
            raise ReminderError(_("This cron expression never matches a date that is to come."), "cron")
        return first
    if plan.at_local is None:
        raise ReminderError(_("Choose the date and time."), "at")
    return _utc(tenant, plan.at_local)


def _utc(tenant: Tenant, local: dt.datetime) -> dt.datetime:
    try:
        return local_to_utc(tenant, local.replace(second=0, microsecond=0))
    except LocalTimeError as error:
        raise ReminderError(str(error), "at") from None


def _apply(tenant: Tenant, reminder: Reminder, plan: Plan, first_at: dt.datetime, now: dt.datetime) -> None:
    users = _recipients(tenant, plan.recipient_ids)
    reminder.text = plan.text.strip()
    reminder.repeat = plan.repeat
    reminder.cron = " ".join(plan.cron.split()) if plan.repeat == ReminderRepeat.CRON else None
    reminder.first_at = first_at
    reminder.next_at = next_after(tenant, reminder, now)
    if reminder.id is None:
        db.add(reminder)
        db.flush()
    # The link rows carry the shop's id, which the ORM's many-to-many would leave out: written here.
    db.execute(delete(reminder_recipients).where(reminder_recipients.c.reminder_id == reminder.id))
    db.execute(
        insert(reminder_recipients),
        [{"tenant_id": tenant.id, "reminder_id": reminder.id, "user_id": user.id} for user in users],
    )
    db.expire(reminder, ["recipients"])


def create_reminder(tenant: Tenant, plan: Plan, by_user: User | None, now: dt.datetime) -> Reminder:
    """A new reminder; its first time must be to come."""
    first_at = first_time(tenant, plan, now)
    if first_at <= now:
        raise ReminderError(_("Choose a time that is still to come."), "at")
    reminder = Reminder(tenant_id=tenant.id, created_by_id=by_user.id if by_user else None, paused=False)
    _apply(tenant, reminder, plan, first_at, now)
    return reminder


def update_reminder(tenant: Tenant, reminder: Reminder, plan: Plan, now: dt.datetime) -> None:
    """Change a reminder and re-compute its next time from the new one; a paused reminder stays paused.

    A time already past is refused only when it was changed: a repeating reminder keeps its first time."""
    first_at = first_time(tenant, plan, now)
    unchanged = plan.repeat != ReminderRepeat.CRON and first_at == reminder.first_at
    if first_at <= now and not unchanged:
        raise ReminderError(_("Choose a time that is still to come."), "at")
    _apply(tenant, reminder, plan, first_at, now)
    db.flush()


def pause_reminder(reminder: Reminder) -> None:
    reminder.paused = True
    db.flush()


def resume_reminder(tenant: Tenant, reminder: Reminder, now: dt.datetime) -> None:
    """Go on from the next time still to come: times that passed while paused are not sent late."""
    reminder.paused = False
    if reminder.next_at is not None and reminder.next_at <= now:
        reminder.next_at = next_after(tenant, reminder, now)
    db.flush()


def delete_reminder(reminder: Reminder) -> None:
    """The reminder and its record of sends; messages already queued still go."""
    db.delete(reminder)
    db.flush()


def list_reminders(tenant: Tenant, user: User | None = None) -> list[Reminder]:
    """Waiting reminders by their next time, then the paused ones, then those with nothing more due; with a
    `user`, only those that go to them or that they wrote."""
    order = case((Reminder.next_at.is_(None), 2), (Reminder.paused.is_(True), 1), else_=0)
    query = (
        select(Reminder)
        .options(selectinload(Reminder.recipients))
        .where(Reminder.tenant_id == tenant.id)
        .order_by(order, Reminder.next_at, Reminder.id)
    )
    if user is not None:
        query = query.where(or_(Reminder.created_by_id == user.id, Reminder.recipients.any(User.id == user.id)))
    return list(db.scalars(query))


def recent_sends(tenant: Tenant, reminder_ids: list[int], limit: int = RECENT_SENDS) -> dict[int, list[ReminderSend]]:
    """The latest `limit` sends of each reminder, newest first."""
    if not reminder_ids:
        return {}
    rank = (
        func.row_number()
        .over(partition_by=ReminderSend.reminder_id, order_by=(ReminderSend.due_at.desc(), ReminderSend.id.desc()))
        .label("rank")
    )
    ranked = (
        select(ReminderSend.id, rank)
        .where(ReminderSend.tenant_id == tenant.id, ReminderSend.reminder_id.in_(reminder_ids))
        .subquery()
    )
    sends = db.scalars(
        select(ReminderSend)
        .join(ranked, ranked.c.id == ReminderSend.id)
        .where(ranked.c.rank <= limit)
        .order_by(ReminderSend.reminder_id, ReminderSend.due_at.desc())
    )
    grouped: dict[int, list[ReminderSend]] = {}
    for send in sends:
        grouped.setdefault(send.reminder_id, []).append(send)
    return grouped
