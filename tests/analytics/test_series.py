"""The charts' series on hand-built data, for a shop in Shanghai where "today" is not UTC's today.

Moments are written on the Shanghai wall clock (UTC+8): 00:30 on 6 June there is still 5 June in UTC, so a
series that bucketed by UTC date would put it on the wrong day.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from mcrm.analytics import series
from mcrm.analytics.periods import Period
from mcrm.db import db
from mcrm.members.models import Source
from tenants.isolation import unscoped
from tenants.models import Tenant
from tests.analytics.test_figures import SHANGHAI, _member, _purchase, local
from tests.conftest import log_in

D = dt.date


@pytest.fixture
def seeded(app, shops) -> int:
    """Shop A in Shanghai with members and purchases around local midnights; shop B's must never count."""
    a, b = (s.tenant.id for s in shops)
    with app.app_context(), unscoped():
        for tenant_id in (a, b):
            db.get(Tenant, tenant_id).timezone = SHANGHAI
        ana = _member(a, "+8613800000001", "Ana", local(2024, 6, 6, 0, 30), Source.SMS)
        _member(a, "+8613800000002", "Bo", local(2024, 6, 6, 23, 59, 59), Source.SMS)
        _member(a, "+8613800000003", "Cai", local(2024, 6, 4, 12, 0), Source.SMS)
        _member(a, "+8613800000004", "Dan", local(2024, 6, 8, 0, 0), Source.SMS)  # after the period
        _purchase(ana, "10.00", local(2024, 6, 6, 0, 30))
        _purchase(ana, "20.50", local(2024, 6, 6, 23, 0))
        _purchase(ana, "999.00", local(2024, 6, 6, 9, 0), reversed_at=local(2024, 6, 6, 9, 5))
        _purchase(ana, "5.00", local(2024, 6, 3, 0, 0))  # Monday 3 June, the week's first moment
        _purchase(ana, "7.00", local(2024, 6, 2, 23, 59, 59))  # Sunday: the week before
        _purchase(ana, "1.00", local(2024, 3, 10, 12, 0))  # 13 weeks back: outside the 12
        other = _member(b, "+8613800000001", "Other shop", local(2024, 6, 6, 8, 0), Source.SMS)
        _purchase(other, "1000.00", local(2024, 6, 6, 9, 0))
        db.commit()
    return a


@pytest.fixture
def shop(app, seeded):
    with app.app_context(), unscoped():
        yield db.get(Tenant, seeded)


def test_new_members_per_day_follow_the_shop_calendar(shop):
    period = Period.between(SHANGHAI, D(2024, 6, 3), D(2024, 6, 7))
    assert series.new_members_per_day(shop, period) == [
        (D(2024, 6, 3), 0),
        (D(2024, 6, 4), 1),
        (D(2024, 6, 5), 0),  # UTC's date of Ana's 00:30 join, but not Shanghai's
        (D(2024, 6, 6), 2),
        (D(2024, 6, 7), 0),
    ]


def test_visits_per_day_count_purchases_not_reversed(shop):
    period = Period.between(SHANGHAI, D(2024, 6, 2), D(2024, 6, 6))
    assert series.visits_per_day(shop, period) == [
        (D(2024, 6, 2), 1),
        (D(2024, 6, 3), 1),
        (D(2024, 6, 4), 0),
        (D(2024, 6, 5), 0),
        (D(2024, 6, 6), 2),
    ]


def test_revenue_per_week_runs_monday_to_sunday_for_twelve_weeks(shop):
    weeks = series.revenue_per_week(shop, D(2024, 6, 6))
    assert len(weeks) == 12 and weeks[0][0] == D(2024, 3, 18) and weeks[-1][0] == D(2024, 6, 3)
    assert all(monday.weekday() == 0 for monday, _ in weeks)
    assert weeks[-1][1] == Decimal("35.50") and weeks[-2] == (D(2024, 5, 27), Decimal("7.00"))
    assert sum(total for _, total in weeks) == Decimal("42.50")  # the March purchase is outside


def test_a_single_day_charts_the_thirty_days_up_to_it():
    today = Period.today(SHANGHAI, dt.datetime(2024, 6, 5, 23, 30, tzinfo=dt.UTC))
    days = series.chart_period(today)
    assert (days.first_day, days.last_day, days.days) == (D(2024, 5, 8), D(2024, 6, 6), 30)
    week = Period.this_week(SHANGHAI, dt.datetime(2024, 6, 5, 23, 30, tzinfo=dt.UTC))
    assert series.chart_period(week) == week


def test_the_dashboard_draws_the_charts_as_inline_svg(client, seeded):
    log_in(client, "owner-a@example.com")
    page = client.get("/?period=range&from=2024-06-03&to=2024-06-09").get_data(as_text=True)
    for chart_id in ("chart-new-members", "chart-visits", "chart-revenue", "chart-rfm", "chart-messages"):
        figure = page[page.index(f'id="{chart_id}"') :]
        assert figure.index("<svg") < figure.index("</figure>")
    assert "<title>Visits per day</title>" in page and "<?xml" not in page
    assert '<script type="text/javascript" xlink:href' not in page  # no pygal tooltips script from a CDN
    assert 'href="/analytics/rfm"' in page
