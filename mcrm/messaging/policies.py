"""The rules a message must pass, when it is queued and again when the gateway is about to send it.

- Care and marketing never reach a member who opted out (replies and transactional messages do: the
  consumer asked, or it is the merchant's own business).
- Care and marketing wait for the shop's quiet hours to end, in the shop's timezone.
- A member gets at most the shop's daily cap of marketing messages per shop-local day; earlier messages
  win, so re-checking never suppresses a message that was counted first.
- Marketing and care not sent within a day of when they were meant to go are no longer news: they expire.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.messaging.models import Message, MessageKind, MessageStatus, SuppressReason
from tenants.models import Tenant

POLITE_KINDS = frozenset({MessageKind.CARE, MessageKind.MARKETING})  # obey opt-out and quiet hours
VALIDITY = dt.timedelta(hours=24)
# Messages that count against the daily cap: everything that went or may still go out.
COUNTED_STATES = (
    MessageStatus.QUEUED,
    MessageStatus.DEFERRED,
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.UNKNOWN,
)


@dataclass(frozen=True)
class Decision:
    send_after: dt.datetime | None = None  # defer until then
    suppress: SuppressReason | None = None


def quiet_until(tenant: Tenant, now: dt.datetime) -> dt.datetime | None:
    """When the shop's quiet hours end (UTC), if `now` falls inside them; None otherwise."""
    zone = ZoneInfo(tenant.timezone)
    local = now.astimezone(zone)
    start, end, clock = tenant.quiet_start, tenant.quiet_end, local.time()
    # The usual window runs across midnight (21:00–08:00); a daytime one is allowed too.
    quiet = start <= clock < end if start < end else clock >= start or clock < end
    if not quiet:
        return None
    end_day = local.date() if clock < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(end_day, end, tzinfo=zone).astimezone(dt.UTC)


def local_day_bounds(tenant: Tenant, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The shop-local calendar day holding `moment`, as a UTC [start, end)."""
    zone = ZoneInfo(tenant.timezone)
    day = moment.astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def opted_out(tenant_id: int, phone: str) -> bool:
    return (
        db.scalar(
            select(func.count())
            .select_from(Member)
            .where(Member.tenant_id == tenant_id, Member.phone == phone, Member.opted_out_at.is_not(None))
        )
        > 0
    )


def over_daily_cap(tenant: Tenant, phone: str, planned: dt.datetime, before_id: int | None = None) -> bool:
    """Whether the member already has the shop's cap of marketing messages on `planned`'s local day."""
    start, end = local_day_bounds(tenant, planned)
    planned_at = func.coalesce(Message.send_after, Message.created_at)
    query = (
        select(func.count())
        .select_from(Message)
        .where(
            Message.tenant_id == tenant.id,
            Message.phone == phone,
            Message.kind == MessageKind.MARKETING,
            Message.status.in_(COUNTED_STATES),
            planned_at >= start,
            planned_at < end,
        )
    )
    if before_id is not None:
        query = query.where(Message.id < before_id)
    return db.scalar(query) >= tenant.marketing_daily_cap


def decide(
    tenant: Tenant, phone: str, kind: MessageKind, now: dt.datetime, *, message_id: int | None = None
) -> Decision:
    """Send now, defer, or suppress a message of `kind` to `phone`."""
    if kind not in POLITE_KINDS:
        return Decision()
    if opted_out(tenant.id, phone):
        return Decision(suppress=SuppressReason.OPTED_OUT)
    send_after = quiet_until(tenant, now)
    if kind == MessageKind.MARKETING and over_daily_cap(tenant, phone, send_after or now, message_id):
        return Decision(suppress=SuppressReason.DAILY_CAP)
    return Decision(send_after=send_after)


def opt_out_line(tenant: Tenant) -> str:
    if tenant.opt_out_line.strip():
        return tenant.opt_out_line.strip()
    with force_locale(tenant.locale):
        return _("Reply STOP to opt out")


def compose(tenant: Tenant, body: str, kind: MessageKind) -> str:
    """The text as it is sent: the shop's signature leads, and a marketing message ends with the opt-out line."""
    body = body.strip()
    if not body.startswith(tenant.signature):
        body = tenant.signature + body
    if kind == MessageKind.MARKETING:
        line = opt_out_line(tenant)
        if not body.endswith(line):
            if "\n" in body:
                # A text in lines (a survey's options) gets the line on its own, not glued to the last option.
                body += "\n" + line
            elif not body[-1].isascii() and not line[0].isascii():
                body += line  # Chinese text runs on
            else:
                body += " " + line
    return body
