"""What a promotion did: its messages' fates, the purchases that followed, the lift against the hold-out,
the coupons redeemed, and the live progress of its latest run.

Every figure is one grouped query over the promotion's runs, never a loop over members. The statements
join `messages`, `members`, `purchases`, `promotion_holdouts` and `coupons`, so each filters `tenant_id`
itself rather than relying on the ORM's scoping. A recipient is the member whose phone a message of the
run went to (the outbox keeps phones, not member ids).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import DateTime, and_, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.messaging.labels import MESSAGE_STATUS_LABELS, SUPPRESS_REASON_LABELS, problem_label
from mcrm.messaging.models import Message, MessageStatus
from mcrm.points.models import Purchase
from mcrm.promotions.forms import STATUS_LABELS
from mcrm.promotions.models import Coupon, Promotion, PromotionHoldout, PromotionRun, PromotionStatus
from tenants.models import Tenant

# The progress bar's parts, each a set of message states.
WAITING = (MessageStatus.QUEUED, MessageStatus.DEFERRED, MessageStatus.SENDING)
AWAITING_RECEIPT = (MessageStatus.SENT, MessageStatus.UNKNOWN)
FAILED = (MessageStatus.FAILED, MessageStatus.UNDELIVERED, MessageStatus.EXPIRED)
# The SMSC took it: the member was sent the message (a missing receipt does not undo that).
SENT = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.UNKNOWN)
# The page asks for progress this often while a run is going out or about to start (seconds).
POLL = 2
SOON = dt.timedelta(minutes=2)  # a scheduled run this close is watched as if it had started
RECEIPT_WAIT = dt.timedelta(minutes=30)
MAX_WAIT = 3600  # a later run: ask again at most an hour on (the page may stay open)


class plus_days(FunctionElement):
    """`moment + days` as SQL on SQLite (text timestamps) and PostgreSQL."""

    type = DateTime()
    name = "plus_days"
    inherit_cache = True


@compiles(plus_days)
def _plus_days_postgresql(element, compiler, **kw):
    moment, days = list(element.clauses)
    return f"({compiler.process(moment, **kw)} + make_interval(days => {compiler.process(days, **kw)}))"


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element, compiler, **kw):
    moment, days = list(element.clauses)
    # The stored text form, so comparisons with other timestamps stay in order.
    return (
        f"strftime('%Y-%m-%d %H:%M:%f', {compiler.process(moment, **kw)}, "
        f"'+' || {compiler.process(days, **kw)} || ' days')"
    )


@dataclass
class Reason:
    label: str
    count: int


@dataclass
class Outcome:
    """One run's results, or the total of them all (`run` None)."""

    run: PromotionRun | None = None
    written: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    suppressed: int = 0
    pending: int = 0
    failures: list[Reason] = field(default_factory=list)
    suppressions: list[Reason] = field(default_factory=list)
    recipients: int = 0
    converted: int = 0
    revenue: Decimal = Decimal(0)
    held_out: int = 0
    held_out_converted: int = 0
    coupons_issued: int = 0
    coupons_redeemed: int = 0
    window_open: bool = False  # some purchases may still count

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.recipients if self.recipients else None

    @property
    def holdout_rate(self) -> float | None:
        return self.held_out_converted / self.held_out if self.held_out else None

    @property
    def lift_points(self) -> float | None:
        """The recipients' rate less the hold-out's, in percentage points."""
        if self.conversion_rate is None or self.holdout_rate is None:
            return None
        return (self.conversion_rate - self.holdout_rate) * 100

    @property
    def lift_relative(self) -> float | None:
        """How much more (or less) often recipients bought, relative to the hold-out."""
        if self.conversion_rate is None or not self.holdout_rate:
            return None
        return (self.conversion_rate - self.holdout_rate) / self.holdout_rate

    @property
    def redemption_rate(self) -> float | None:
        return self.coupons_redeemed / self.coupons_issued if self.coupons_issued else None


@dataclass
class Results:
    runs: list[Outcome]
    total: Outcome
    attribution_days: int


def _runs(tenant: Tenant, promotion: Promotion):
    """The promotion's run ids, as a subquery."""
    return select(PromotionRun.id).where(PromotionRun.tenant_id == tenant.id, PromotionRun.promotion_id == promotion.id)


def _message_counts(tenant: Tenant, promotion: Promotion) -> dict[int, dict[MessageStatus, int]]:
    rows = db.execute(
        select(Message.promotion_run_id, Message.status, func.count())
        .where(Message.tenant_id == tenant.id, Message.promotion_run_id.in_(_runs(tenant, promotion)))
        .group_by(Message.promotion_run_id, Message.status)
    )
    counts: dict[int, dict[MessageStatus, int]] = defaultdict(dict)
    for run_id, status, number in rows:
        counts[run_id][status] = number
    return counts


def _reasons(tenant: Tenant, promotion: Promotion) -> tuple[dict[int, dict[str, int]], dict[int, dict[str, int]]]:
    """Why messages failed (by the SMSC's or the pipeline's words) or were held back, per run."""
    rows = db.execute(
        select(Message.promotion_run_id, Message.status, Message.error, Message.suppressed_reason, func.count())
        .where(
            Message.tenant_id == tenant.id,
            Message.promotion_run_id.in_(_runs(tenant, promotion)),
            Message.status.in_((*FAILED, MessageStatus.SUPPRESSED)),
        )
        .group_by(Message.promotion_run_id, Message.status, Message.error, Message.suppressed_reason)
    )
    failures: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    suppressions: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for run_id, status, error, reason, number in rows:
        if status == MessageStatus.SUPPRESSED:
            label = str(SUPPRESS_REASON_LABELS[reason]) if reason else str(MESSAGE_STATUS_LABELS[status])
            suppressions[run_id][label] += number
        else:
            failures[run_id][problem_label(error) or str(MESSAGE_STATUS_LABELS[status])] += number
    return failures, suppressions


def _recipients(tenant: Tenant, promotion: Promotion):
    """(run, member, when the message went) for every message of the promotion the SMSC took."""
    return (
        select(
            Message.promotion_run_id.label("run_id"),
            Member.id.label("member_id"),
            func.coalesce(Message.sent_at, Message.created_at).label("sent_at"),
        )
        .join(Member, and_(Member.tenant_id == tenant.id, Member.phone == Message.phone))
        .where(
            Message.tenant_id == tenant.id,
            Message.promotion_run_id.in_(_runs(tenant, promotion)),
            Message.status.in_(SENT),
        )
        .subquery()
    )


def _purchase_within(tenant: Tenant, member_id, start, days: int):
    return and_(
        Purchase.tenant_id == tenant.id,
        Purchase.member_id == member_id,
        Purchase.reversed_at.is_(None),
        Purchase.occurred_at >= start,
        Purchase.occurred_at < plus_days(start, literal(days)),
    )


def _conversions(tenant: Tenant, promotion: Promotion) -> tuple[dict, dict]:
    """Per run: recipients and when the last was sent; converted recipients and their spending."""
    sent = _recipients(tenant, promotion)
    reach = {
        run_id: (number, last)
        for run_id, number, last in db.execute(
            select(sent.c.run_id, func.count(func.distinct(sent.c.member_id)), func.max(sent.c.sent_at)).group_by(
                sent.c.run_id
            )
        )
    }
    days = promotion.attribution_days
    bought = {
        run_id: (number, revenue or Decimal(0))
        for run_id, number, revenue in db.execute(
            select(sent.c.run_id, func.count(func.distinct(sent.c.member_id)), func.sum(Purchase.amount))
            .join(Purchase, _purchase_within(tenant, sent.c.member_id, sent.c.sent_at, days))
            .group_by(sent.c.run_id)
        )
    }
    return reach, bought


def _holdouts(tenant: Tenant, promotion: Promotion) -> tuple[dict[int, int], dict[int, int]]:
    """Per run: members held out, and those of them who bought within the window after the run started."""
    in_runs = and_(
        PromotionHoldout.tenant_id == tenant.id,
        PromotionRun.tenant_id == tenant.id,
        PromotionRun.promotion_id == promotion.id,
    )
    held = dict(
        db.execute(
            select(PromotionHoldout.run_id, func.count())
            .join(PromotionRun, PromotionRun.id == PromotionHoldout.run_id)
            .where(in_runs)
            .group_by(PromotionHoldout.run_id)
        ).all()
    )
    bought = dict(
        db.execute(
            select(PromotionHoldout.run_id, func.count(func.distinct(PromotionHoldout.member_id)))
            .join(PromotionRun, PromotionRun.id == PromotionHoldout.run_id)
            .join(
                Purchase,
                _purchase_within(
                    tenant, PromotionHoldout.member_id, PromotionRun.started_at, promotion.attribution_days
                ),
            )
            .where(in_runs)
            .group_by(PromotionHoldout.run_id)
        ).all()
    )
    return held, bought


def _coupons(tenant: Tenant, promotion: Promotion) -> dict[int, tuple[int, int]]:
    rows = db.execute(
        select(Coupon.run_id, func.count(), func.count(Coupon.redeemed_at))
        .where(Coupon.tenant_id == tenant.id, Coupon.run_id.in_(_runs(tenant, promotion)))
        .group_by(Coupon.run_id)
    )
    return {run_id: (issued, redeemed) for run_id, issued, redeemed in rows}


def _reason_list(counts: dict[str, int]) -> list[Reason]:
    return [Reason(label, number) for label, number in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def results(tenant: Tenant, promotion: Promotion, now: dt.datetime) -> Results:
    """Each run's outcome, newest first, and their total."""
    runs = db.scalars(
        select(PromotionRun)
        .where(PromotionRun.tenant_id == tenant.id, PromotionRun.promotion_id == promotion.id)
        .order_by(PromotionRun.due_at.desc())
    ).all()
    counts = _message_counts(tenant, promotion)
    failures, suppressions = _reasons(tenant, promotion)
    reach, bought = _conversions(tenant, promotion)
    held, held_bought = _holdouts(tenant, promotion)
    coupons = _coupons(tenant, promotion)
    window = dt.timedelta(days=promotion.attribution_days)
    outcomes = []
    for run in runs:
        by_state = counts.get(run.id, {})
        recipients, last_sent = reach.get(run.id, (0, None))
        pending = sum(by_state.get(s, 0) for s in WAITING)
        converted, revenue = bought.get(run.id, (0, Decimal(0)))
        issued, redeemed = coupons.get(run.id, (0, 0))
        last = max(filter(None, (run.started_at, _aware(last_sent))))
        outcomes.append(
            Outcome(
                run=run,
                written=sum(by_state.values()),
                sent=sum(by_state.get(s, 0) for s in SENT),
                delivered=by_state.get(MessageStatus.DELIVERED, 0),
                failed=sum(by_state.get(s, 0) for s in FAILED),
                suppressed=by_state.get(MessageStatus.SUPPRESSED, 0),
                pending=pending,
                failures=_reason_list(failures.get(run.id, {})),
                suppressions=_reason_list(suppressions.get(run.id, {})),
                recipients=recipients,
                converted=converted,
                revenue=Decimal(revenue),
                held_out=held.get(run.id, 0),
                held_out_converted=held_bought.get(run.id, 0),
                coupons_issued=issued,
                coupons_redeemed=redeemed,
                window_open=bool(pending) or now < last + window,
            )
        )
    return Results(runs=outcomes, total=_total(outcomes), attribution_days=promotion.attribution_days)


def _aware(moment) -> dt.datetime | None:
    """MAX() over a timestamp comes back as text on SQLite and aware on PostgreSQL."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _total(outcomes: list[Outcome]) -> Outcome:
    total = Outcome()
    merged_failures: dict[str, int] = defaultdict(int)
    merged_suppressions: dict[str, int] = defaultdict(int)
    for outcome in outcomes:
        for name in (
            "written",
            "sent",
            "delivered",
            "failed",
            "suppressed",
            "pending",
            "recipients",
            "converted",
            "revenue",
            "held_out",
            "held_out_converted",
            "coupons_issued",
            "coupons_redeemed",
        ):
            setattr(total, name, getattr(total, name) + getattr(outcome, name))
        for reason in outcome.failures:
            merged_failures[reason.label] += reason.count
        for reason in outcome.suppressions:
            merged_suppressions[reason.label] += reason.count
        total.window_open = total.window_open or outcome.window_open
    total.failures = _reason_list(merged_failures)
    total.suppressions = _reason_list(merged_suppressions)
    return total


def latest_runs(tenant: Tenant, promotion_ids: list[int]) -> dict[int, tuple[PromotionRun, int, int]]:
    """For the list: each promotion's latest run with its sent and delivered counts."""
    if not promotion_ids:
        return {}
    latest = (
        select(func.max(PromotionRun.id))
        .where(PromotionRun.tenant_id == tenant.id, PromotionRun.promotion_id.in_(promotion_ids))
        .group_by(PromotionRun.promotion_id)
    )
    rows = db.execute(
        select(
            PromotionRun,
            func.count(case((Message.status.in_(SENT), 1))),
            func.count(case((Message.status == MessageStatus.DELIVERED, 1))),
        )
        .outerjoin(Message, and_(Message.tenant_id == tenant.id, Message.promotion_run_id == PromotionRun.id))
        .where(PromotionRun.tenant_id == tenant.id, PromotionRun.id.in_(latest))
        .group_by(PromotionRun.id)
    )
    return {run.promotion_id: (run, sent, delivered) for run, sent, delivered in rows}


def progress(tenant: Tenant, promotion: Promotion, now: dt.datetime) -> dict:
    """The latest run's messages by part of the progress bar, and when the page should ask again."""
    run = db.scalar(
        select(PromotionRun)
        .where(PromotionRun.tenant_id == tenant.id, PromotionRun.promotion_id == promotion.id)
        .order_by(PromotionRun.due_at.desc())
        .limit(1)
    )
    by_state: dict[MessageStatus, int] = {}
    if run is not None:
        by_state = dict(
            db.execute(
                select(Message.status, func.count())
                .where(Message.tenant_id == tenant.id, Message.promotion_run_id == run.id)
                .group_by(Message.status)
            ).all()
        )
    counts = {
        "queued": sum(by_state.get(s, 0) for s in WAITING),
        "sent": sum(by_state.get(s, 0) for s in AWAITING_RECEIPT),
        "delivered": by_state.get(MessageStatus.DELIVERED, 0),
        "failed": sum(by_state.get(s, 0) for s in FAILED),
        "suppressed": by_state.get(MessageStatus.SUPPRESSED, 0),
    }
    total = sum(counts.values())
    starting = promotion.status == PromotionStatus.SENDING
    # Done once nothing waits to be sent; receipts still arriving are watched a while longer (see _poll_in).
    done = run is not None and not starting and counts["queued"] == 0
    return {
        "run": run.id if run else None,
        "started_at": run.started_at.isoformat() if run else None,
        "counts": counts,
        "total": total,
        "done": done,
        "status": promotion.status.value,
        "status_label": str(STATUS_LABELS[promotion.status]),
        "poll_in": _poll_in(promotion, run, done, counts["sent"] > 0, now),
        "summary": _summary(counts, total),
    }


def _poll_in(
    promotion: Promotion, run: PromotionRun | None, done: bool, awaiting: bool, now: dt.datetime
) -> int | None:
    """Seconds until the page should ask again; None when nothing more will change by itself."""
    if run is not None and not done:
        return POLL
    # Receipts usually follow within seconds; a network that never sends one must not keep the page asking.
    if awaiting and now - run.started_at < RECEIPT_WAIT:
        return POLL
    if promotion.status == PromotionStatus.SENDING:
        return POLL
    if promotion.status == PromotionStatus.SCHEDULED and promotion.next_run_at is not None:
        until = promotion.next_run_at - now
        if until <= SOON:
            return POLL
        return int(min((until - SOON).total_seconds(), MAX_WAIT))
    return None


def _summary(counts: dict[str, int], total: int) -> str:
    if not total:
        return _("No messages yet.")
    finished = total - counts["queued"]
    return _("%(finished)d of %(total)d messages handled", finished=finished, total=total)
