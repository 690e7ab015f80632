"""A greeting rule's occasion written into the outbox: one INSERT … SELECT, never a loop over members.

As mcrm/promotions/materialise.py: the statements are Core, so every table is filtered on `tenant_id` and
every row carries it; the gateway re-checks opt-out, quiet hours and expiry when it claims each message.
Each message's dedupe key names the rule, the year of the occasion and the member, so the shop's unique
(tenant_id, dedupe_key) lets a member have at most one greeting per rule per year, whatever happens to the
rule's hour or day in between. The year is the member's own: the solar year, or the lunar year for a lunar
birthday (whose solar date can fall twice in one solar year and not at all in the next).

Gifts are bonus points, booked before the messages are written so {points} reads the balance with the gift,
and a coupon (when the rule offers one): one code for each member greeted, owned by the run, written before
the messages so {coupon} reads it.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import String, and_, bindparam, case, cast, exists, func, insert, literal, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from mcrm.care.audience import audience_clause, target_day
from mcrm.care.calendar import lunar_year_of
from mcrm.care.models import GreetingKind, GreetingRule, GreetingRun, GreetingRunStatus
from mcrm.credits.services import NotEnoughCredit, credit_balance, spend
from mcrm.db import db
from mcrm.members.models import Member
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus
from mcrm.messaging.policies import VALIDITY, quiet_until
from mcrm.points.models import EntryReason
from mcrm.points.services import book_adjustments
from mcrm.promotions.coupon_codes import free_prefix, insert_coupons
from mcrm.promotions.models import Coupon
from mcrm.promotions.sms_sql import exact_parts, maybe_straddled, personalise
from tenants.models import Tenant
from tenants.numbers import sms_number


class AlreadyGreeted(Exception):
    """Another tick has already handled this rule's occasion on this day."""


def _key_prefix(rule: GreetingRule, year: int) -> str:
    return f"care:{rule.id}:{year}:"


def greeting_key(rule: GreetingRule, day: dt.date) -> ColumnElement[str]:
    """SQL: the dedupe key of each member's greeting when `rule` sends on `day`."""
    target = target_day(rule, day)
    prefix = literal(_key_prefix(rule, target.year), String)
    if rule.kind == GreetingKind.BIRTHDAY:
        lunar = literal(_key_prefix(rule, lunar_year_of(target)), String)
        prefix = case((Member.birthday_lunar.is_(True), lunar), else_=prefix)
    return prefix + cast(Member.id, String)


def recipients_clause(tenant: Tenant, rule: GreetingRule, day: dt.date) -> ColumnElement[bool]:
    """The members `rule` greets on shop-local `day` who have not had its greeting this year."""
    greeted = exists().where(Message.tenant_id == tenant.id, Message.dedupe_key == greeting_key(rule, day))
    return and_(audience_clause(tenant, rule, day), ~greeted)


def preview_members(tenant: Tenant, rule: GreetingRule, day: dt.date, limit: int = 20) -> list[Member]:
    """Some of the members `rule` would greet on shop-local `day`, by name."""
    query = select(Member).where(recipients_clause(tenant, rule, day)).order_by(Member.name, Member.id).limit(limit)
    return list(db.scalars(query))


def due_count(tenant: Tenant, rule: GreetingRule, day: dt.date) -> int:
    """How many members `rule` would greet on shop-local `day`."""
    return db.scalar(select(func.count()).select_from(Member).where(recipients_clause(tenant, rule, day)))


def send_greetings(
    tenant: Tenant, rule: GreetingRule, occurs_on: dt.date, due_at: dt.datetime, now: dt.datetime
) -> GreetingRun:
    """Greet everyone `rule` greets on shop-local `occurs_on`, charge the credit once, book the gifts; the
    caller commits.

    AlreadyGreeted when a run for this occasion exists. When the credit is short nothing is queued or
    booked: the run is failed with the reason, in the shop's language.
    """
    run = record_run(tenant, rule, occurs_on, due_at, now, GreetingRunStatus.SENT)
    work = db.begin_nested()
    cost = 0
    try:
        messages, cost = _write(tenant, rule, run, occurs_on, now)
        if cost:
            with force_locale(tenant.locale):
                note = _("Greeting “%(name)s”: %(count)d messages", name=rule.name, count=messages)
            spend(tenant, cost, note=note)
    except NotEnoughCredit:
        work.rollback()
        with force_locale(tenant.locale):
            run.error = _(
                "Not enough SMS credit: needs %(need)d, the shop has %(has)d.", need=cost, has=credit_balance(tenant)
            )[:200]
        run.status = GreetingRunStatus.FAILED
        db.flush()
        return run
    work.commit()
    run.messages = messages
    db.flush()
    return run


def record_run(
    tenant: Tenant,
    rule: GreetingRule,
    occurs_on: dt.date,
    due_at: dt.datetime,
    now: dt.datetime,
    status: GreetingRunStatus,
    error: str | None = None,
) -> GreetingRun:
    """The run of `rule` on `occurs_on`; AlreadyGreeted when another tick recorded it first."""
    # The unique (rule_id, occurs_on) is the guard: a second tick's insert fails (on PostgreSQL it waits for
    # the first to commit, then fails).
    run = GreetingRun(
        tenant_id=tenant.id,
        rule_id=rule.id,
        occurs_on=occurs_on,
        due_at=due_at,
        started_at=now,
        status=status,
        error=error[:200] if error else None,
    )
    savepoint = db.begin_nested()
    db.add(run)
    try:
        db.flush()
    except IntegrityError:
        savepoint.rollback()
        raise AlreadyGreeted(f"rule {rule.id} on {occurs_on.isoformat()}") from None
    savepoint.commit()
    return run


def _write(tenant: Tenant, rule: GreetingRule, run: GreetingRun, day: dt.date, now: dt.datetime) -> tuple[int, int]:
    """The gifts, coupons and messages of `rule` on `day`; (messages, credits)."""
    chosen = recipients_clause(tenant, rule, day)
    if rule.gift_points > 0:
        members = db.scalars(select(Member.id).where(chosen)).all()
        if members:
            with force_locale(tenant.locale):
                note = _("Greeting “%(name)s”", name=rule.name)
            gifts = dict.fromkeys(members, rule.gift_points)
            book_adjustments(tenant, gifts, note=note, reason=EntryReason.GIFT)
    source = Member.__table__
    if rule.coupon_offer:
        chosen_ids = select(Member.id.label("member_id")).where(chosen).subquery("recipients")
        count = db.scalar(select(func.count()).select_from(chosen_ids))
        expires_at = now + dt.timedelta(days=rule.coupon_valid_days)
        insert_coupons(tenant, free_prefix(tenant), chosen_ids, {"greeting_run_id": run.id}, count, expires_at)
        # The run's coupons are exactly the members greeted.
        source = source.join(
            Coupon.__table__,
            and_(Coupon.member_id == Member.id, Coupon.tenant_id == tenant.id, Coupon.greeting_run_id == run.id),
        )
        shape = personalise(tenant, rule.template, coupon=Coupon.code, kind=MessageKind.CARE)
    else:
        shape = personalise(tenant, rule.template, kind=MessageKind.CARE)
    send_after = quiet_until(tenant, now)
    planned = send_after or now
    utc = Message.send_after.type
    columns = {
        "tenant_id": literal(tenant.id),
        "direction": literal(Direction.OUT.value),
        "kind": literal(MessageKind.CARE.value),
        "phone": Member.phone,
        "shop_number": literal(sms_number(tenant)),
        "body": shape.body,
        "encoding": shape.encoding,
        "parts": shape.parts,
        "status": literal((MessageStatus.DEFERRED if send_after else MessageStatus.QUEUED).value),
        "dedupe_key": greeting_key(rule, day),
        "send_after": literal(send_after, utc) if send_after else null(),
        "expires_at": literal(planned + VALIDITY, utc),
        "created_at": literal(now, utc),
    }
    rows = select(*(c.label(name) for name, c in columns.items())).select_from(source).where(chosen)
    ids = db.scalars(insert(Message).from_select(list(columns), rows).returning(Message.id)).all()
    if not ids:
        return 0, 0
    # This run's rows: no other transaction writes this rule's keys while it holds the run.
    written = and_(
        Message.tenant_id == tenant.id,
        Message.id.between(min(ids), max(ids)),
        Message.dedupe_key.like(f"care:{rule.id}:%"),
    )
    _settle_straddled_parts(tenant, written)
    cost = db.scalar(select(func.coalesce(func.sum(Message.parts), 0)).where(written))
    return len(ids), int(cost)


def _settle_straddled_parts(tenant: Tenant, written: ColumnElement[bool]) -> None:
    # As materialise: the SQL counts ceil(units / per part); the rare rows where a two-unit character
    # straddles a part boundary need one more part, exactly as sms_shape splits them.
    rows = db.execute(
        select(Message.id, Message.body, Message.parts).where(
            written, maybe_straddled(Message.body, Message.encoding, Message.parts)
        )
    ).all()
    fixes = [{"message_id": id_, "exact": exact} for id_, body, parts in rows if (exact := exact_parts(body)) != parts]
    if fixes:
        table = Message.__table__
        db.connection().execute(
            update(table)
            .where(table.c.id == bindparam("message_id"), table.c.tenant_id == tenant.id)
            .values(parts=bindparam("exact")),
            fixes,
        )
