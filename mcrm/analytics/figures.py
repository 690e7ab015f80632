"""The dashboard's figures: each is one aggregate query over indexed columns, never a loop over rows.

Definitions (the issue leaves them to us):

- A purchase counts when it is not reversed and `occurred_at` falls in the period.
- Visits are such purchases (one purchase, one visit, as `Member.visit_count` counts them); visitors are
  the distinct members behind them.
- Returning members made a counted purchase in the period and joined before the period started.
- Message outcomes are of outbound messages *created* in the period (queued by the shop, whatever happened
  next), because failed, expired and suppressed messages never get a `sent_at`: counting by `sent_at`
  would hide exactly the failures the owner needs to see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, literal, select, union_all

from mcrm.analytics.periods import Period
from mcrm.db import db
from mcrm.feedback.models import Feedback, FeedbackKind, FeedbackStatus
from mcrm.members.models import Member, Source
from mcrm.messaging.models import Direction, Message, MessageStatus
from mcrm.points.models import Purchase
from tenants.models import Tenant

LIST_LENGTH = 10
# Stop requests wait in the inbox too, but they ask for a consent decision, not an answer.
WAITING_KINDS = (FeedbackKind.COMPLAINT, FeedbackKind.SUGGESTION, FeedbackKind.FEEDBACK)
FAILED_STATES = (MessageStatus.FAILED, MessageStatus.UNDELIVERED, MessageStatus.EXPIRED)
PENDING_STATES = (MessageStatus.QUEUED, MessageStatus.DEFERRED, MessageStatus.SENDING)


@dataclass(frozen=True)
class NewMembers:
    total: int
    by_source: dict[Source, int]


@dataclass(frozen=True)
class Visits:
    visits: int
    visitors: int
    revenue: Decimal


@dataclass(frozen=True)
class MemberFigure:
    """One line of a ranking: the member and what they did (in the period, or in their lifetime)."""

    member_id: int
    name: str
    phone: str
    spent: Decimal
    visits: int


@dataclass(frozen=True)
class WaitingFeedback:
    feedback_id: int
    kind: FeedbackKind
    phone: str
    member_id: int | None
    text: str
    waited: dt.timedelta


@dataclass(frozen=True)
class MessageOutcomes:
    written: int  # every outbound message created in the period
    sent: int  # reached the SMSC (delivered or not)
    delivered: int
    failed: int  # refused, not delivered, or expired
    pending: int  # still queued, deferred or being sent
    suppressed: int  # opted out or over the daily cap: never sent, credit given back


def new_members(tenant: Tenant, period: Period) -> NewMembers:
    query = (
        select(Member.source, func.count())
        .where(Member.tenant_id == tenant.id, Member.joined_at >= period.start, Member.joined_at < period.end)
        .group_by(Member.source)
    )
    by_source = {source: count for source, count in db.execute(query)}
    return NewMembers(total=sum(by_source.values()), by_source=by_source)


def returning_members(tenant: Tenant, period: Period) -> int:
    return visits_and_returning(tenant, period)[1]


def visits(tenant: Tenant, period: Period) -> Visits:
    return visits_and_returning(tenant, period)[0]


def visits_and_returning(tenant: Tenant, period: Period) -> tuple[Visits, int]:
    """The period's visits, visitors and revenue, and how many visitors came back, in one pass over its
    purchases. Returning = the visitors less those who joined since the period began: that second set is
    small and found by the members' join-date index, where checking every visitor's join date would read
    all the shop's members."""
    joined_since = select(Member.id).where(Member.tenant_id == tenant.id, Member.joined_at >= period.start)
    newcomer = case((Purchase.member_id.in_(joined_since), Purchase.member_id))
    query = select(
        func.count(),
        func.count(func.distinct(Purchase.member_id)),
        func.coalesce(func.sum(Purchase.amount), 0),
        func.count(func.distinct(newcomer)),
    ).where(*counted_purchases(tenant, period))
    count, visitors, revenue, newcomers = db.execute(query).one()
    return Visits(visits=count, visitors=visitors, revenue=Decimal(revenue)), visitors - newcomers


def top_spenders(tenant: Tenant, period: Period, limit: int = LIST_LENGTH) -> list[MemberFigure]:
    return rankings(tenant, period, limit)[0]


def most_frequent(tenant: Tenant, period: Period, limit: int = LIST_LENGTH) -> list[MemberFigure]:
    return rankings(tenant, period, limit)[1]


def rankings(tenant: Tenant, period: Period, limit: int = LIST_LENGTH) -> tuple[list[MemberFigure], list[MemberFigure]]:
    """(top spenders, most frequent) of the period from one pass over its purchases: each member's total
    and count are summed once (a CTE both lists read), each list keeps its first `limit`, and only those
    members are then looked up by name."""
    spent, count = func.sum(Purchase.amount), func.count()
    per_member = (
        select(Purchase.member_id, spent.label("spent"), count.label("visits"))
        .where(*counted_purchases(tenant, period))
        .group_by(Purchase.member_id)
        .cte("per_member")
    )
    columns = (per_member.c.member_id, per_member.c.spent, per_member.c.visits)
    lists = [
        select(*columns, literal(by_spending).label("by_spending"))
        .order_by(*_ranking_order(per_member.c.spent, per_member.c.visits, per_member.c.member_id, by_spending))
        .limit(limit)
        .subquery()
        for by_spending in (True, False)
    ]
    # A subquery's order does not survive the UNION: each list is sorted again here, by the same keys.
    winners = db.execute(union_all(*(select(ranked) for ranked in lists))).all()
    people = db.execute(
        select(Member.id, Member.name, Member.phone).where(Member.id.in_({w.member_id for w in winners}))
    )
    names = {member_id: (name, phone) for member_id, name, phone in people}
    spending = [w for w in winners if w.by_spending]
    frequent = [w for w in winners if not w.by_spending]
    spending.sort(key=lambda w: (-w.spent, -w.visits, w.member_id))
    frequent.sort(key=lambda w: (-w.visits, -w.spent, w.member_id))
    return (
        [MemberFigure(w.member_id, *names[w.member_id], w.spent, w.visits) for w in spending],
        [MemberFigure(w.member_id, *names[w.member_id], w.spent, w.visits) for w in frequent],
    )


def most_valuable(tenant: Tenant, limit: int = LIST_LENGTH) -> list[MemberFigure]:
    """The best customers of all time, by what they have spent (kept on the member by the points services)."""
    query = (
        select(Member.id, Member.name, Member.phone, Member.total_spent, Member.visit_count)
        .where(Member.tenant_id == tenant.id, Member.total_spent > 0)
        .order_by(Member.total_spent.desc(), Member.id)
        .limit(limit)
    )
    return [MemberFigure(*row) for row in db.execute(query)]


def waiting_feedback(tenant: Tenant, now: dt.datetime, limit: int = LIST_LENGTH) -> list[WaitingFeedback]:
    """Open complaints, suggestions and feedback, the longest-waiting first."""
    query = (
        select(Feedback.id, Feedback.kind, Feedback.phone, Feedback.member_id, Feedback.text, Feedback.created_at)
        .where(*_waiting(tenant))
        .order_by(Feedback.created_at, Feedback.id)
        .limit(limit)
    )
    return [
        WaitingFeedback(feedback_id, kind, phone, member_id, text, now - created_at)
        for feedback_id, kind, phone, member_id, text, created_at in db.execute(query)
    ]


def waiting_count(tenant: Tenant) -> int:
    return db.scalar(select(func.count()).select_from(Feedback).where(*_waiting(tenant)))


def message_outcomes(tenant: Tenant, period: Period) -> MessageOutcomes:
    def count(condition):
        return func.count(case((condition, 1)))

    query = select(
        func.count(),
        count(Message.sent_at.is_not(None)),
        count(Message.status == MessageStatus.DELIVERED),
        count(Message.status.in_(FAILED_STATES)),
        count(Message.status.in_(PENDING_STATES)),
        count(Message.status == MessageStatus.SUPPRESSED),
    ).where(
        Message.tenant_id == tenant.id,
        Message.direction == Direction.OUT,
        Message.created_at >= period.start,
        Message.created_at < period.end,
    )
    return MessageOutcomes(*db.execute(query).one())


def credit_left(tenant: Tenant) -> int:
    # Read afresh: the gateway spends credit from another process while the page is open.
    return db.scalar(select(Tenant.sms_credit).where(Tenant.id == tenant.id))


def counted_purchases(tenant: Tenant, period: Period) -> tuple:
    return (
        Purchase.tenant_id == tenant.id,
        Purchase.occurred_at >= period.start,
        Purchase.occurred_at < period.end,
        Purchase.reversed_at.is_(None),
    )


def _ranking_order(spent, visits, member_id, by_spending: bool) -> tuple:
    first, second = (spent, visits) if by_spending else (visits, spent)
    return first.desc(), second.desc(), member_id


def _waiting(tenant: Tenant) -> tuple:
    return (
        Feedback.tenant_id == tenant.id,
        Feedback.status == FeedbackStatus.OPEN,
        Feedback.kind.in_(WAITING_KINDS),
    )
