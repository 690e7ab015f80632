"""Every figure the dashboard and the counter page show, for one period, gathered in one place."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mcrm.analytics import figures
from mcrm.analytics.models import MemberScore
from mcrm.analytics.periods import Period
from mcrm.analytics.rfm import needs_care
from mcrm.members.models import Member
from tenants.models import Tenant


@dataclass(frozen=True)
class Summary:
    period: Period
    new_members: figures.NewMembers
    returning: int
    visits: figures.Visits
    # The same figures for the period before, to say "vs last week".
    previous_new_members: figures.NewMembers
    previous_returning: int
    previous_visits: figures.Visits
    top_spenders: list[figures.MemberFigure]
    most_frequent: list[figures.MemberFigure]
    most_valuable: list[figures.MemberFigure]
    # From last night's RFM scores, so it does not follow the period.
    needs_care: list[tuple[Member, MemberScore]]
    waiting: list[figures.WaitingFeedback]
    waiting_count: int
    messages: figures.MessageOutcomes
    credit_left: int


def summarize(tenant: Tenant, period: Period, now: dt.datetime) -> Summary:
    previous = period.previous()
    top_spenders, most_frequent = figures.rankings(tenant, period)
    visits, returning = figures.visits_and_returning(tenant, period)
    previous_visits, previous_returning = figures.visits_and_returning(tenant, previous)
    return Summary(
        period=period,
        new_members=figures.new_members(tenant, period),
        returning=returning,
        visits=visits,
        previous_new_members=figures.new_members(tenant, previous),
        previous_returning=previous_returning,
        previous_visits=previous_visits,
        top_spenders=top_spenders,
        most_frequent=most_frequent,
        most_valuable=figures.most_valuable(tenant),
        needs_care=needs_care(tenant, figures.LIST_LENGTH),
        waiting=figures.waiting_feedback(tenant, now),
        waiting_count=figures.waiting_count(tenant),
        messages=figures.message_outcomes(tenant, period),
        credit_left=figures.credit_left(tenant),
    )
