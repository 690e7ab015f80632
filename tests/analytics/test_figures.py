"""The dashboard's figures on hand-built data, for a shop in Shanghai where "today" is not UTC's today.

The clock is 2024-06-05 23:30 UTC: Thursday 2024-06-06 07:30 in Shanghai (UTC+8). Local today runs from
2024-06-05 16:00 UTC to 2024-06-06 16:00 UTC; the week from Monday 3 June; the month from 1 June.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from mcrm.analytics import figures
from mcrm.analytics.models import MemberScore, RfmClass
from mcrm.analytics.periods import Period, PeriodKind
from mcrm.dashboard.period_choice import period_from_args
from mcrm.db import db, utcnow
from mcrm.feedback.models import Feedback, FeedbackKind, FeedbackStatus
from mcrm.members.models import Member, Source
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus
from mcrm.points.models import Channel, Purchase
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.conftest import log_in

SHANGHAI = "Asia/Shanghai"
NOW = dt.datetime(2024, 6, 5, 23, 30, tzinfo=dt.UTC)


def local(*parts: int) -> dt.datetime:
    """A moment on the Shanghai wall clock (year, month, day, hour, minute[, second])."""
    return dt.datetime(*parts, tzinfo=ZoneInfo(SHANGHAI))


def _member(tenant_id, phone, name, joined, source=Source.SMS, total_spent="0"):
    member = Member(
        tenant_id=tenant_id,
        phone=phone,
        phone_tail=phone[-4:],
        name=name,
        joined_at=joined,
        source=source,
        total_spent=Decimal(total_spent),
    )
    db.add(member)
    db.flush()
    return member


def _purchase(member, amount, occurred, reversed_at=None):
    db.add(
        Purchase(
            tenant_id=member.tenant_id,
            member_id=member.id,
            amount=Decimal(amount),
            occurred_at=occurred,
            channel=Channel.PORTAL,
            reversed_at=reversed_at,
        )
    )


def _message(tenant_id, status, created, sent_at=None, direction=Direction.OUT):
    db.add(
        Message(
            tenant_id=tenant_id,
            direction=direction,
            kind=MessageKind.TRANSACTIONAL if direction == Direction.OUT else None,
            phone="+8613800138000",
            shop_number="1069001001",
            body="hi",
            status=status,
            created_at=created,
            sent_at=sent_at,
        )
    )


def _feedback(tenant_id, kind, created, status=FeedbackStatus.OPEN, member_id=None):
    feedback = Feedback(
        tenant_id=tenant_id,
        kind=kind,
        status=status,
        phone="+8613900139000",
        member_id=member_id,
        text=f"a {kind.value}",
        created_at=created,
    )
    db.add(feedback)
    db.flush()
    return feedback.id


@pytest.fixture
def data(app, shops):
    """Shop A's figures, built by hand; shop B holds a bigger member and purchase that must never count."""
    a, b = (s.tenant.id for s in shops)
    with app.app_context(), unscoped():
        for tenant_id in (a, b):
            db.get(Tenant, tenant_id).timezone = SHANGHAI
        db.get(Tenant, a).sms_credit = 123
        ana = _member(a, "+8613800000001", "Ana", local(2024, 5, 1, 12, 0), Source.SMS, "1000")
        bo = _member(a, "+8613800000002", "Bo", local(2024, 6, 3, 0, 0), Source.PORTAL, "200")
        cai = _member(a, "+8613800000003", "Cai", local(2024, 6, 6, 0, 0), Source.SMS, "20")
        _member(a, "+8613800000004", "Dan", local(2024, 6, 6, 23, 59, 59), Source.WAP)
        _member(a, "+8613800000005", "Eve", local(2024, 6, 7, 0, 0), Source.IMPORT)
        _member(a, "+8613800000006", "Fei", local(2024, 6, 5, 23, 59, 59), Source.API)
        _purchase(ana, "100.00", local(2024, 6, 6, 12, 0))
        _purchase(ana, "50.00", local(2024, 6, 6, 23, 59, 59))
        _purchase(ana, "999.00", local(2024, 6, 6, 9, 0), reversed_at=local(2024, 6, 6, 9, 5))
        _purchase(bo, "70.00", local(2024, 6, 7, 0, 0))
        _purchase(bo, "30.00", local(2024, 6, 5, 20, 0))
        _purchase(bo, "5.00", local(2024, 5, 31, 23, 59, 59))
        _purchase(cai, "20.00", local(2024, 6, 6, 10, 0))
        rich = _member(b, "+8613800000001", "Other shop", local(2024, 6, 6, 8, 0), Source.SMS, "5000")
        _purchase(rich, "1000.00", local(2024, 6, 6, 9, 0))

        today = local(2024, 6, 6, 7, 0)
        for status, sent in [
            (MessageStatus.DELIVERED, True),
            (MessageStatus.SENT, True),
            (MessageStatus.UNDELIVERED, True),
            (MessageStatus.FAILED, False),
            (MessageStatus.EXPIRED, False),
            (MessageStatus.QUEUED, False),
            (MessageStatus.SUPPRESSED, False),
        ]:
            _message(a, status, today, sent_at=today if sent else None)
        _message(a, MessageStatus.RECEIVED, today, direction=Direction.IN)
        _message(a, MessageStatus.DELIVERED, local(2024, 6, 5, 23, 59), sent_at=local(2024, 6, 5, 23, 59))
        _message(b, MessageStatus.DELIVERED, today, sent_at=today)

        ids = {
            "ana": ana.id,
            "bo": bo.id,
            "cai": cai.id,
            "suggestion": _feedback(a, FeedbackKind.SUGGESTION, NOW - dt.timedelta(days=1)),
            "complaint": _feedback(a, FeedbackKind.COMPLAINT, NOW - dt.timedelta(hours=3), member_id=ana.id),
            "feedback": _feedback(a, FeedbackKind.FEEDBACK, NOW - dt.timedelta(minutes=10)),
        }
        _feedback(a, FeedbackKind.COMPLAINT, NOW - dt.timedelta(days=2), status=FeedbackStatus.ANSWERED)
        _feedback(a, FeedbackKind.STOP_REQUEST, NOW - dt.timedelta(days=3))
        _feedback(b, FeedbackKind.COMPLAINT, NOW - dt.timedelta(days=4))
        db.commit()
        return db.get(Tenant, a), ids


@pytest.fixture
def shop(app, data):
    """The data, with shop A bound, for calling the figures directly."""
    with app.app_context(), scoped_to(data[0].id):
        yield data


# Periods: pure calendar arithmetic.


def test_today_is_the_shops_local_day_not_utcs():
    today = Period.today(SHANGHAI, NOW)
    assert today.first_day == today.last_day == dt.date(2024, 6, 6)
    assert today.start == dt.datetime(2024, 6, 5, 16, 0, tzinfo=dt.UTC)
    assert today.end == dt.datetime(2024, 6, 6, 16, 0, tzinfo=dt.UTC)
    assert today.previous().first_day == dt.date(2024, 6, 5)


def test_the_week_starts_on_monday_local_time():
    monday_early = dt.datetime(2024, 6, 9, 16, 30, tzinfo=dt.UTC)  # Monday 10 June 00:30 in Shanghai
    sunday_late = dt.datetime(2024, 6, 9, 15, 59, tzinfo=dt.UTC)  # Sunday 9 June 23:59 in Shanghai
    assert Period.this_week(SHANGHAI, monday_early).first_day == dt.date(2024, 6, 10)
    week = Period.this_week(SHANGHAI, sunday_late)
    assert (week.first_day, week.last_day) == (dt.date(2024, 6, 3), dt.date(2024, 6, 9))
    assert week.start == dt.datetime(2024, 6, 2, 16, 0, tzinfo=dt.UTC)
    assert week.previous().first_day == dt.date(2024, 5, 27)


def test_the_month_starts_on_the_first_local_day():
    july_first = dt.datetime(2024, 6, 30, 16, 30, tzinfo=dt.UTC)  # 1 July 00:30 in Shanghai
    month = Period.this_month(SHANGHAI, july_first)
    assert (month.first_day, month.last_day) == (dt.date(2024, 7, 1), dt.date(2024, 7, 31))
    assert month.start == dt.datetime(2024, 6, 30, 16, 0, tzinfo=dt.UTC)
    assert month.previous().first_day == dt.date(2024, 6, 1) and month.previous().last_day == dt.date(2024, 6, 30)
    february = Period.this_month(SHANGHAI, dt.datetime(2024, 2, 10, tzinfo=dt.UTC))
    assert february.last_day == dt.date(2024, 2, 29) and february.previous().first_day == dt.date(2024, 1, 1)


def test_a_range_includes_its_last_day_and_follows_daylight_saving():
    spring = Period.between("America/New_York", dt.date(2024, 3, 10), dt.date(2024, 3, 10))
    assert spring.end - spring.start == dt.timedelta(hours=23)
    assert spring.start == dt.datetime(2024, 3, 10, 5, 0, tzinfo=dt.UTC)
    week = Period.between(SHANGHAI, dt.date(2024, 6, 1), dt.date(2024, 6, 7))
    assert week.days == 7 and week.previous().last_day == dt.date(2024, 5, 31)
    with pytest.raises(ValueError):
        Period.between(SHANGHAI, dt.date(2024, 6, 2), dt.date(2024, 6, 1))


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"period": "range", "from": "2024-06-10", "to": "2024-06-01"}, "comes before"),
        ({"period": "range", "from": "yesterday", "to": "2024-06-01"}, "YYYY-MM-DD"),
        ({"period": "range", "from": "2024-06-01"}, "YYYY-MM-DD"),
        ({"period": "range", "from": "2024-02-30", "to": "2024-03-01"}, "YYYY-MM-DD"),
        ({"period": "range", "from": "2000-01-01", "to": "2024-06-01"}, "three years"),
    ],
)
def test_a_bad_range_falls_back_to_today_with_a_message(ctx, args, error):
    period, message = period_from_args(args, SHANGHAI, NOW)
    assert period == Period.today(SHANGHAI, NOW) and error in message


def test_period_names_in_the_query_string(ctx):
    assert period_from_args({"period": "week"}, SHANGHAI, NOW) == (Period.this_week(SHANGHAI, NOW), None)
    assert period_from_args({"period": "month"}, SHANGHAI, NOW)[0].kind is PeriodKind.MONTH
    assert period_from_args({"period": "nonsense"}, SHANGHAI, NOW) == (Period.today(SHANGHAI, NOW), None)
    chosen, error = period_from_args({"period": "range", "from": "2024-06-01", "to": "2024-06-01"}, SHANGHAI, NOW)
    assert error is None and chosen.days == 1


# Figures: one shop's hand-built data.


def test_new_members_today_by_source_with_local_midnights(shop):
    tenant, _ = shop
    today = Period.today(SHANGHAI, NOW)
    assert figures.new_members(tenant, today) == figures.NewMembers(2, {Source.SMS: 1, Source.WAP: 1})
    assert figures.new_members(tenant, today.previous()).by_source == {Source.API: 1}
    week = figures.new_members(tenant, Period.this_week(SHANGHAI, NOW))
    assert week.total == 5  # Bo joined at Monday 00:00 exactly; Ana in May does not count
    assert figures.new_members(tenant, Period.this_month(SHANGHAI, NOW)).total == 5


def test_returning_members_joined_before_the_period(shop):
    tenant, _ = shop
    assert figures.returning_members(tenant, Period.today(SHANGHAI, NOW)) == 1  # Ana; Cai joined today
    assert figures.returning_members(tenant, Period.today(SHANGHAI, NOW).previous()) == 1  # Bo, yesterday
    # Bo joined at the week's first instant: new this week, not back.
    assert figures.returning_members(tenant, Period.this_week(SHANGHAI, NOW)) == 1


def test_visits_and_revenue_skip_reversed_purchases_and_respect_the_day_end(shop):
    tenant, _ = shop
    today = figures.visits(tenant, Period.today(SHANGHAI, NOW))
    assert today == figures.Visits(visits=3, visitors=2, revenue=Decimal("170.00"))
    assert figures.visits(tenant, Period.today(SHANGHAI, NOW).previous()).revenue == Decimal("30.00")
    week = figures.visits(tenant, Period.this_week(SHANGHAI, NOW))
    assert (week.visits, week.revenue) == (5, Decimal("270.00"))
    month = figures.visits(tenant, Period.this_month(SHANGHAI, NOW))
    assert (month.visits, month.revenue) == (5, Decimal("270.00"))  # 31 May 23:59:59 local is last month
    empty = figures.visits(tenant, Period.between(SHANGHAI, dt.date(2020, 1, 1), dt.date(2020, 1, 2)))
    assert empty == figures.Visits(0, 0, Decimal("0"))


def test_rankings(shop):
    tenant, ids = shop
    today, week = Period.today(SHANGHAI, NOW), Period.this_week(SHANGHAI, NOW)
    top = figures.top_spenders(tenant, today)
    assert [(m.member_id, m.spent, m.visits) for m in top] == [
        (ids["ana"], Decimal("150.00"), 2),
        (ids["cai"], Decimal("20.00"), 1),
    ]
    assert [m.member_id for m in figures.top_spenders(tenant, week)] == [ids["ana"], ids["bo"], ids["cai"]]
    # Ana and Bo both came twice this week: the bigger spender ranks first.
    assert [(m.member_id, m.visits) for m in figures.most_frequent(tenant, week)] == [
        (ids["ana"], 2),
        (ids["bo"], 2),
        (ids["cai"], 1),
    ]
    assert [m.member_id for m in figures.top_spenders(tenant, week, limit=1)] == [ids["ana"]]
    valuable = figures.most_valuable(tenant)
    assert [(m.name, m.spent) for m in valuable] == [("Ana", 1000), ("Bo", 200), ("Cai", 20)]


def test_waiting_feedback_oldest_first_with_its_wait(shop):
    tenant, ids = shop
    waiting = figures.waiting_feedback(tenant, NOW)
    assert [(w.feedback_id, w.waited) for w in waiting] == [
        (ids["suggestion"], dt.timedelta(days=1)),
        (ids["complaint"], dt.timedelta(hours=3)),
        (ids["feedback"], dt.timedelta(minutes=10)),
    ]
    assert waiting[1].member_id == ids["ana"] and waiting[1].kind is FeedbackKind.COMPLAINT
    assert figures.waiting_count(tenant) == 3


def test_message_outcomes_by_creation_in_the_period(shop):
    tenant, _ = shop
    outcomes = figures.message_outcomes(tenant, Period.today(SHANGHAI, NOW))
    assert outcomes == figures.MessageOutcomes(written=7, sent=3, delivered=1, failed=3, pending=1, suppressed=1)
    assert figures.message_outcomes(tenant, Period.today(SHANGHAI, NOW).previous()).delivered == 1
    assert figures.credit_left(tenant) == 123


# The pages.


def _tile(page: str, tile_id: str) -> str:
    return re.search(rf'id="{tile_id}">.*?class="tile-value">([^<]*)<', page, re.S).group(1)


def test_the_dashboard_shows_a_chosen_weeks_figures_and_lists(client, data):
    _, ids = data
    log_in(client, "owner-a@example.com")
    page = client.get("/?period=range&from=2024-06-03&to=2024-06-09").get_data(as_text=True)
    assert (_tile(page, "new-members"), _tile(page, "returning"), _tile(page, "visits")) == ("5", "1", "5")
    assert _tile(page, "revenue") == "270.00" and 'id="credit-left"><a href="/settings/credit/">123<' in page
    top = page[page.index('id="top-spenders"') : page.index('id="most-frequent"')]
    assert top.index(f'/members/{ids["ana"]}"') < top.index(f'/members/{ids["bo"]}"')
    assert f'href="/inbox/{ids["complaint"]}"' in page and "Other shop" not in page
    assert "The 7 days before: 5.00" in page  # Bo's 31 May purchase
    assert "1000.00" not in top  # shop B's purchase


def test_the_dashboard_and_the_wap_page_list_who_needs_care(app, client, data):
    tenant, ids = data
    with app.app_context(), unscoped():
        # A score as the RFM job leaves it: Bo, a best customer who stopped coming.
        score = dict(recency_days=200, frequency=9, monetary=Decimal("900"), r=1, f=5, m=5)
        db.add(MemberScore(tenant_id=tenant.id, member_id=ids["bo"], rfm_class=RfmClass.CANT_LOSE, **score))
        db.add(MemberScore(tenant_id=tenant.id, member_id=ids["ana"], rfm_class=RfmClass.CHAMPIONS, **score))
        db.commit()
    log_in(client, "staff-a@example.com")
    page = client.get("/").get_data(as_text=True)
    care = page[page.index('id="needs-care"') :]
    assert (
        f'/members/{ids["bo"]}"' in care
        and re.search(r"Can\S{1,6}t lose", care)
        and f'/members/{ids["ana"]}"' not in care
    )
    care = client.get("/m/today").get_data(as_text=True).split('id="needs-care"')[1]
    assert f'/m/members/{ids["bo"]}"' in care and f'/m/members/{ids["ana"]}"' not in care


def test_staff_see_the_dashboard_for_each_period(client, data):
    log_in(client, "staff-a@example.com")
    for period in ("today", "week", "month"):
        response = client.get(f"/?period={period}")
        assert response.status_code == 200 and 'id="figures"' in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["from=2024-06-09&to=2024-06-03", "from=junk&to=", "from=2024-13-01&to=x"])
def test_a_bad_range_on_the_dashboard_says_so(client, data, query):
    log_in(client, "owner-a@example.com")
    response = client.get(f"/?period=range&{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="period-error"' in page and 'id="figures"' in page


def test_the_wap_page_shows_todays_figures(app, client, data):
    tenant, ids = data
    with app.app_context(), unscoped():
        # Real "now", as the page reads the clock: a returning member's purchase and a new member.
        ana = db.get(Member, ids["ana"])
        _purchase(ana, "88.00", utcnow())
        _member(tenant.id, "+8613800000009", "Gao", utcnow())
        db.commit()
    log_in(client, "staff-a@example.com", path="/m/login")
    assert 'href="/m/today"' in client.get("/m/").get_data(as_text=True)
    page = client.get("/m/today").get_data(as_text=True)
    assert len(page.encode()) < 15 * 1024 and "<script" not in page
    for cell, value in [("new-members", "1"), ("returning", "1"), ("visits", "1"), ("revenue", "88.00")]:
        assert f'<td id="{cell}">{value}</td>' in page
    assert '<td id="credit-left">123</td>' in page
    assert f'href="/m/members/{ids["ana"]}"' in page and f'href="/m/inbox/{ids["complaint"]}"' in page
