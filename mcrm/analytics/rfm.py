"""RFM scores: every member of a shop scored 1–5 on recency, frequency and monetary value, in one statement.

Definitions:

- Counted purchases: not reversed, `occurred_at` at or before `now` and on one of the shop's last
  `rfm_window_days` calendar days, today included (shop time zone).
- recency_days: shop-calendar days from the last counted purchase to today (bought today: 0);
  frequency: the number of counted purchases; monetary: their total amount.
- Scores are quintiles among the shop's members with a counted purchase, by percentile rank:
  score = 1 + floor(5 × (B + E/2) / N), where N is the number of buyers, B how many of them did strictly
  worse (more days for recency, so recent is 5; fewer purchases; less spent) and E how many share the value.
  This is the textbook percentile rank ((B + E/2) / N): distinct values fall into even fifths,
  but equal values always get equal scores (NTILE splits them arbitrarily), and a tie is placed at the
  middle of its group, so the many members who bought once neither all sink to 1 nor rise to the top.
  A lone buyer, or buyers all alike, score 3: nothing tells them apart.
- Members with no counted purchase get R = F = M = 1, frequency 0, monetary 0, no recency_days, and the
  class new if they joined in the last NEW_MEMBER_DAYS days, else lost. They do not count among the buyers.
- The class comes from R and FM = (F + M + 1) // 2 through `rfm_classes.CLASS_GRID`.

The shop's rows are replaced with a DELETE and one INSERT … SELECT; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, Select, case, cast, delete, func, insert, literal, select
from sqlalchemy.sql.elements import ColumnElement

from mcrm.analytics.models import MemberScore, RfmClass
from mcrm.analytics.rfm_classes import CLASS_GRID, NEW_MEMBER_DAYS
from mcrm.db import UTCDateTime, db, utcnow
from mcrm.members.models import Member
from mcrm.points.models import Purchase
from tenants.models import Tenant

CARE_CLASSES = (RfmClass.CANT_LOSE, RfmClass.AT_RISK)


def _quintile(value: ColumnElement, order_by: ColumnElement) -> ColumnElement[int]:
    """1 + floor(5 × (B + E/2) / N) in integers; `order_by` sorts the worst first."""
    worse = func.rank().over(order_by=order_by) - 1
    equal = func.count().over(partition_by=value)
    return 1 + 5 * (2 * worse + equal) // (2 * func.count().over())


def _days_to(today: dt.date, moment: ColumnElement, tenant: Tenant, now: dt.datetime) -> ColumnElement[int]:
    """Shop-calendar days from the date of `moment` (a UTC timestamp) to `today`."""
    if db.get_bind().dialect.name == "postgresql":
        return literal(today, Date) - cast(func.timezone(tenant.timezone, moment), Date)
    # SQLite knows no time zones: shift by the shop's UTC offset at `now`, which is exact except across a
    # daylight-saving change inside the window (an hour's shift at most; most of our shops have no DST).
    offset = int(now.astimezone(ZoneInfo(tenant.timezone)).utcoffset().total_seconds())
    return cast(func.julianday(today.isoformat()) - func.julianday(func.date(moment, f"{offset:+d} seconds")), Integer)


def _class_of(r: ColumnElement[int], fm: ColumnElement[int]) -> ColumnElement[str]:
    """CLASS_GRID as a CASE on r × 10 + fm."""
    whens = {
        r_score * 10 + fm_score: cls.value for r_score, row in CLASS_GRID.items() for fm_score, cls in enumerate(row, 1)
    }
    return case(whens, value=r * 10 + fm)


def _scores_query(tenant: Tenant, now: dt.datetime) -> Select:
    """Every member of the shop with the columns of a MemberScore row."""
    today = now.astimezone(ZoneInfo(tenant.timezone)).date()
    first_day = today - dt.timedelta(days=tenant.rfm_window_days - 1)
    window_start = dt.datetime.combine(first_day, dt.time(), tzinfo=ZoneInfo(tenant.timezone))
    counted = (
        select(
            Purchase.member_id,
            func.count().label("frequency"),
            # Rounded so that equal totals compare equal on SQLite, which sums amounts as floats.
            func.round(func.sum(Purchase.amount), 2).label("monetary"),
            func.max(Purchase.occurred_at).label("last_at"),
        )
        .where(
            Purchase.tenant_id == tenant.id,
            Purchase.reversed_at.is_(None),
            Purchase.occurred_at >= window_start,
            Purchase.occurred_at <= now,
        )
        .group_by(Purchase.member_id)
        .cte("counted")
    )
    bought = select(
        counted.c.member_id,
        _days_to(today, counted.c.last_at, tenant, now).label("recency_days"),
        counted.c.frequency,
        counted.c.monetary,
    ).cte("bought")
    scored = select(
        bought,
        _quintile(bought.c.recency_days, bought.c.recency_days.desc()).label("r"),
        _quintile(bought.c.frequency, bought.c.frequency).label("f"),
        _quintile(bought.c.monetary, bought.c.monetary).label("m"),
    ).cte("scored")
    unscored_class = case(
        (Member.joined_at >= now - dt.timedelta(days=NEW_MEMBER_DAYS), RfmClass.NEW.value), else_=RfmClass.LOST.value
    )
    return (
        select(
            literal(tenant.id).label("tenant_id"),
            Member.id.label("member_id"),
            scored.c.recency_days,
            func.coalesce(scored.c.frequency, 0).label("frequency"),
            func.coalesce(scored.c.monetary, 0).label("monetary"),
            func.coalesce(scored.c.r, 1).label("r"),
            func.coalesce(scored.c.f, 1).label("f"),
            func.coalesce(scored.c.m, 1).label("m"),
            case(
                (scored.c.member_id.is_(None), unscored_class),
                else_=_class_of(scored.c.r, (scored.c.f + scored.c.m + 1) // 2),
            ).label("rfm_class"),
            literal(now, UTCDateTime()).label("computed_at"),
        )
        .select_from(Member)
        .outerjoin(scored, scored.c.member_id == Member.id)
        .where(Member.tenant_id == tenant.id)
    )


def refresh_scores(tenant: Tenant, now: dt.datetime | None = None) -> int:
    """Recompute the scores of every member of the shop; the number of members scored."""
    now = now or utcnow()
    db.execute(delete(MemberScore.__table__).where(MemberScore.tenant_id == tenant.id))
    query = _scores_query(tenant, now)
    columns = [c.name for c in query.selected_columns]
    db.execute(insert(MemberScore.__table__).from_select(columns, query))
    # Counted again: the driver's rowcount is -1 for this INSERT on SQLite.
    return db.scalar(select(func.count()).where(MemberScore.tenant_id == tenant.id))


def score_of(member: Member) -> MemberScore | None:
    return db.get(MemberScore, member.id)


def class_counts(tenant: Tenant) -> dict[RfmClass, int]:
    """Members per class, every class present (0 when empty)."""
    rows = db.execute(
        select(MemberScore.rfm_class, func.count())
        .where(MemberScore.tenant_id == tenant.id)
        .group_by(MemberScore.rfm_class)
    )
    return dict.fromkeys(RfmClass, 0) | dict(rows.tuples().all())


def members_in_class(tenant: Tenant, rfm_class: RfmClass) -> Select:
    """The class's members with their scores, biggest spenders first (the caller pages it)."""
    return (
        select(Member, MemberScore)
        .join(MemberScore, MemberScore.member_id == Member.id)
        .where(MemberScore.tenant_id == tenant.id, MemberScore.rfm_class == rfm_class)
        .order_by(MemberScore.monetary.desc(), Member.id)
    )


def needs_care(tenant: Tenant, limit: int = 10) -> list[tuple[Member, MemberScore]]:
    """Valuable members slipping away (can't lose, at risk), biggest spenders first."""
    # Pick the winners among the scores alone, then join only those to their members (not tens of thousands).
    chosen = (
        select(MemberScore.member_id)
        .where(MemberScore.tenant_id == tenant.id, MemberScore.rfm_class.in_(CARE_CLASSES))
        .order_by(MemberScore.monetary.desc(), MemberScore.member_id)
        .limit(limit)
    )
    query = (
        select(Member, MemberScore)
        .join(MemberScore, MemberScore.member_id == Member.id)
        .where(MemberScore.member_id.in_(chosen))
        .order_by(MemberScore.monetary.desc(), Member.id)
    )
    return list(db.execute(query).tuples())


def scored_at(tenant: Tenant) -> dt.datetime | None:
    """When the shop's scores were last computed (None before the first time)."""
    return db.scalar(select(func.max(MemberScore.computed_at)).where(MemberScore.tenant_id == tenant.id))
