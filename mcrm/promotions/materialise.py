"""A promotion's run written into the outbox: a few INSERT … SELECT statements, never a loop over members.

These statements are Core, so the tenant hook does not scope them: every table is filtered on `tenant_id`
and every inserted row carries it. The gateway re-checks opt-out, quiet hours, the daily cap and expiry
when it claims each message, so the rows written here go out like any queued by `queue_sms`.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import String, and_, bindparam, case, cast, exists, func, insert, literal, null, select, true, update
from sqlalchemy.exc import IntegrityError

from mcrm.credits.services import NotEnoughCredit, credit_balance, spend
from mcrm.db import db
from mcrm.members.models import Member
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus, SuppressReason
from mcrm.messaging.policies import COUNTED_STATES, VALIDITY, local_day_bounds, quiet_until
from mcrm.promotions.coupon_codes import free_prefix, insert_coupons
from mcrm.promotions.models import Coupon, Promotion, PromotionHoldout, PromotionRun, PromotionStatus, Repeat
from mcrm.promotions.schedule import next_run_after
from mcrm.promotions.sms_sql import exact_parts, maybe_straddled, personalise
from mcrm.segments.compile import audience_query
from mcrm.segments.conditions import SegmentError
from tenants.models import Tenant
from tenants.numbers import sms_number


class RunAlreadyStarted(Exception):
    """Another tick has already started this promotion's run for this due time."""


def holdout_size(audience: int, percent: int) -> int:
    """round(audience × percent / 100), halves up."""
    return (audience * percent + 50) // 100


def materialise_run(tenant: Tenant, promotion: Promotion, due_at: dt.datetime, now: dt.datetime) -> PromotionRun:
    """Write the run of `promotion` due at `due_at` into the outbox and charge its credit; the caller commits.

    RunAlreadyStarted when another tick holds this run. When the credit is short (or the audience's
    conditions no longer work), nothing is queued: the run records why and the promotion is failed.
    """
    # Imported here: mcrm.surveys.sending builds on the promotions services, which import this module.
    from mcrm.surveys.sending import open_survey_conversations
    from mcrm.surveys.services import SurveyError

    run = _start(tenant, promotion, due_at, now)
    work = db.begin_nested()
    try:
        audience, held_out, messages, cost = _write(tenant, promotion, run, now)
        if promotion.survey_id is not None:
            open_survey_conversations(tenant, promotion, run, now)
        if cost:
            with force_locale(tenant.locale):
                note = _("Promotion “%(name)s”: %(count)d messages", name=promotion.name, count=messages)
            spend(tenant, cost, note=note)
    except NotEnoughCredit:
        work.rollback()
        with force_locale(tenant.locale):
            error = _(
                "Not enough SMS credit: needs %(need)d, the shop has %(has)d.",
                need=cost,
                has=credit_balance(tenant),
            )
        _fail(promotion, run, error, audience=audience)
        return run
    except (SegmentError, SurveyError) as problem:
        work.rollback()
        _fail(promotion, run, str(problem)[:200], audience=0)
        return run
    work.commit()
    run.audience, run.held_out, run.messages, run.credits = audience, held_out, messages, cost
    promotion.last_error = None
    if promotion.repeat == Repeat.NONE:
        promotion.status, promotion.next_run_at = PromotionStatus.SENDING, None
    else:
        promotion.next_run_at = next_run_after(tenant, promotion, due_at)
        promotion.status = PromotionStatus.SCHEDULED if promotion.next_run_at else PromotionStatus.SENT
    db.flush()
    return run


def record_failed_run(
    tenant: Tenant, promotion: Promotion, due_at: dt.datetime, now: dt.datetime, error: str
) -> PromotionRun:
    """A run that never wrote anything, kept so the owner sees why (the scheduler missed it)."""
    run = _start(tenant, promotion, due_at, now, coupons=False)
    run.error = error[:200]
    promotion.last_error = run.error
    db.flush()
    return run


def _fail(promotion: Promotion, run: PromotionRun, error: str, *, audience: int) -> None:
    run.audience, run.held_out, run.messages, run.credits, run.error = audience, 0, 0, 0, error
    promotion.status, promotion.last_error, promotion.next_run_at = PromotionStatus.FAILED, error, None
    db.flush()


def _start(
    tenant: Tenant, promotion: Promotion, due_at: dt.datetime, now: dt.datetime, *, coupons: bool | None = None
) -> PromotionRun:
    # The unique (promotion_id, due_at) is the guard: a second tick's insert fails (on PostgreSQL it
    # waits for the first to commit, then fails).
    with_coupons = promotion.coupon_enabled if coupons is None else coupons
    run = PromotionRun(
        tenant_id=tenant.id,
        promotion_id=promotion.id,
        due_at=due_at,
        started_at=now,
        coupon_prefix=free_prefix(tenant) if with_coupons else None,
    )
    savepoint = db.begin_nested()
    db.add(run)
    try:
        db.flush()
    except IntegrityError:
        savepoint.rollback()
        raise RunAlreadyStarted(f"promotion {promotion.id} due at {due_at.isoformat()}") from None
    savepoint.commit()
    return run


def _write(tenant: Tenant, promotion: Promotion, run: PromotionRun, now: dt.datetime) -> tuple[int, int, int, int]:
    """Hold-outs, coupons and messages of `run`; (audience, held out, messages, credits)."""
    audience = audience_query(tenant, promotion.definition, now).subquery("audience")
    total = db.scalar(select(func.count()).select_from(audience))
    held_out = 0
    if promotion.holdout_percent > 0 and total:
        held_out = holdout_size(total, promotion.holdout_percent)
        db.execute(
            insert(PromotionHoldout).from_select(
                ["tenant_id", "run_id", "member_id"],
                select(literal(tenant.id), literal(run.id), audience.c.member_id)
                .order_by(func.random())
                .limit(held_out),
            )
        )
    recipients = select(audience.c.member_id).where(
        ~exists().where(
            PromotionHoldout.tenant_id == tenant.id,
            PromotionHoldout.run_id == run.id,
            PromotionHoldout.member_id == audience.c.member_id,
        )
    )
    if promotion.coupon_enabled:
        expires_at = now + dt.timedelta(days=promotion.coupon_valid_days)
        chosen = recipients.subquery("recipients")
        insert_coupons(tenant, run.coupon_prefix, chosen, {"run_id": run.id}, total - held_out, expires_at)
        # The run's coupons are exactly its recipients.
        source = Member.__table__.join(
            Coupon.__table__,
            and_(Coupon.member_id == Member.id, Coupon.tenant_id == tenant.id, Coupon.run_id == run.id),
        )
        shape = personalise(tenant, promotion.body, coupon=Coupon.code)
    else:
        chosen = recipients.subquery("recipients")
        source = Member.__table__.join(chosen, chosen.c.member_id == Member.id)
        shape = personalise(tenant, promotion.body)
    _write_messages(tenant, run, source, shape, now)
    _settle_straddled_parts(tenant, run)
    charged = case((Message.status != MessageStatus.SUPPRESSED, Message.parts), else_=0)
    messages, cost = db.execute(
        select(func.count(), func.coalesce(func.sum(charged), 0)).where(
            Message.tenant_id == tenant.id, Message.promotion_run_id == run.id
        )
    ).one()
    return held_out + messages, held_out, messages, int(cost)


def _write_messages(tenant: Tenant, run: PromotionRun, source, shape, now: dt.datetime) -> None:
    send_after = quiet_until(tenant, now)
    planned = send_after or now
    start, end = local_day_bounds(tenant, planned)
    # Members whose phone already has the shop's daily cap of marketing on the planned local day
    # (policies.over_daily_cap for everyone at once).
    planned_at = func.coalesce(Message.send_after, Message.created_at)
    capped = (
        select(Message.phone.label("phone"))
        .where(
            Message.tenant_id == tenant.id,
            Message.kind == MessageKind.MARKETING,
            Message.status.in_(COUNTED_STATES),
            planned_at >= start,
            planned_at < end,
        )
        .group_by(Message.phone)
        .having(func.count() >= tenant.marketing_daily_cap)
        .subquery("capped")
    )
    source = source.outerjoin(capped, capped.c.phone == Member.phone)
    over_cap = true() if tenant.marketing_daily_cap <= 0 else capped.c.phone.is_not(None)
    sent_status = MessageStatus.DEFERRED if send_after else MessageStatus.QUEUED
    utc = Message.send_after.type
    columns = {
        "tenant_id": literal(tenant.id),
        "direction": literal(Direction.OUT.value),
        "kind": literal(MessageKind.MARKETING.value),
        "phone": Member.phone,
        "shop_number": literal(sms_number(tenant)),
        "body": shape.body,
        "encoding": shape.encoding,
        "parts": shape.parts,
        "status": _case(over_cap, MessageStatus.SUPPRESSED.value, sent_status.value),
        "suppressed_reason": _case(over_cap, SuppressReason.DAILY_CAP.value, None),
        "dedupe_key": literal(f"promo:{run.id}:") + cast(Member.id, String),
        # As messaging.services._row: a suppressed message was never deferred, and expires a day after now.
        "send_after": _case(over_cap, None, send_after, utc) if send_after else null(),
        "expires_at": _case(over_cap, now + VALIDITY, planned + VALIDITY, utc),
        "created_at": literal(now, utc),
        "promotion_run_id": literal(run.id),
    }
    rows = select(*(c.label(name) for name, c in columns.items())).select_from(source)
    statement = insert(Message).from_select(list(columns), rows.where(Member.tenant_id == tenant.id))
    db.execute(statement)


def _case(condition, then, otherwise, type_=None):
    def value(v):
        return null() if v is None else literal(v, type_)

    return case((condition, value(then)), else_=value(otherwise))


def _settle_straddled_parts(tenant: Tenant, run: PromotionRun) -> None:
    # The SQL counts ceil(units / per part); the rare rows where a two-unit character straddles a part
    # boundary need one more part, exactly as sms_shape splits them.
    rows = db.execute(
        select(Message.id, Message.body, Message.parts).where(
            Message.tenant_id == tenant.id,
            Message.promotion_run_id == run.id,
            maybe_straddled(Message.body, Message.encoding, Message.parts),
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
