"""RFM scores: quintiles by rank, ties, the window in shop days, the class map, refreshes and the member page."""

import datetime as dt
import logging
from decimal import Decimal

import pytest
from sqlalchemy import literal, select

from mcrm.analytics import nightly, rfm
from mcrm.analytics.models import MemberScore, RfmClass
from mcrm.analytics.rfm import class_counts, members_in_class, needs_care, refresh_scores
from mcrm.analytics.rfm_classes import CLASS_GRID, class_of
from mcrm.db import db, utcnow
from mcrm.members.models import Member, Source
from mcrm.members.services import create_member
from mcrm.points.models import Channel, Purchase
from mcrm.points.services import record_purchase, reverse_purchase
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.conftest import log_in

# 17:00 UTC is already 01:00 the next day in Shanghai: the shop's "today" is 2025-06-16.
NOW = dt.datetime(2025, 6, 15, 17, 0, tzinfo=dt.UTC)
C = RfmClass


@pytest.fixture
def shop(ctx, shop_a):
    """Shop A's tenant, in shop A's scope (Shanghai time, the default 365-day window)."""
    with scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        tenant.timezone = "Asia/Shanghai"
        yield tenant


def _member(tenant, n: int, joined_days_ago: int = 400) -> Member:
    member = create_member(tenant, phone=f"1380013{n:04d}", source=Source.PORTAL)
    member.joined_at = NOW - dt.timedelta(days=joined_days_ago)
    db.flush()
    return member


def _buy(tenant, member, amount="10", *, days_ago: float = 1, at: dt.datetime | None = None) -> Purchase:
    occurred_at = at or NOW - dt.timedelta(days=days_ago)
    entry = record_purchase(tenant, member, Decimal(amount), channel=Channel.PORTAL, occurred_at=occurred_at).entry
    return db.get(Purchase, entry.purchase_id)


def _scores() -> dict[int, MemberScore]:
    db.expire_all()
    return {s.member_id: s for s in db.scalars(select(MemberScore))}


def _rfm(score: MemberScore) -> tuple[int, int, int]:
    return score.r, score.f, score.m


def test_scores_are_quintiles_by_rank_recent_is_five(shop):
    # Ten members: the n-th bought n times, spent n × 10 in all, last n days after the first one did.
    members = [_member(shop, n) for n in range(1, 11)]
    for n, member in enumerate(members, 1):
        for _ in range(n):
            _buy(shop, member, "10", days_ago=20 - n)
    assert refresh_scores(shop, NOW) == 10
    scores = _scores()
    expected = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]  # 1 + floor(5 × (B + 1/2) / 10)
    assert [_rfm(scores[m.id]) for m in members] == [(q, q, q) for q in expected]
    assert [scores[m.id].recency_days for m in members] == list(range(19, 9, -1))
    assert (scores[members[9].id].frequency, scores[members[9].id].monetary) == (10, Decimal("100.00"))


def test_equal_values_get_equal_scores_where_the_group_begins(shop):
    members = [_member(shop, n) for n in range(5)]
    for member, visits in zip(members, [1, 1, 1, 2, 3], strict=True):
        for _ in range(visits):
            _buy(shop, member, "10", days_ago=3)
    refresh_scores(shop, NOW)
    scores = _scores()
    # The three alike sit mid-group: 1 + floor(5 × (0 + 3/2) / 5) = 2; then 1 + floor(5 × 3.5 / 5) = 4, and 5.
    assert [scores[m.id].f for m in members] == [2, 2, 2, 4, 5]
    assert [scores[m.id].m for m in members] == [2, 2, 2, 4, 5]
    # Everyone bought the same day: nothing tells them apart, so all are in the middle.
    assert {scores[m.id].r for m in members} == {3}


def test_classes_follow_r_and_the_rounded_f_m_average(shop):
    # Five buyers, so each score is the member's rank: (r, f, m) chosen per member.
    wanted = {
        "champion": (5, 5, 5),
        "at risk": (1, 4, 4),
        "potential": (4, 1, 1),
        "attention": (3, 3, 2),  # FM = (3 + 2 + 1) // 2 = 3: a half rounds up
        "at risk too": (2, 2, 3),  # FM 3 with R 2
    }
    members = []
    for n, (r, f, m) in enumerate(wanted.values()):
        members.append(member := _member(shop, n))
        # f purchases, the last 10 × (6 − r) days ago; the first is worth m thousand, the others 1 each.
        for visit in range(f):
            _buy(shop, member, str(m * 1000) if visit == 0 else "1", days_ago=10 * (6 - r) + visit)
    fresh = _member(shop, 10, joined_days_ago=29)
    old = _member(shop, 11, joined_days_ago=31)
    refresh_scores(shop, NOW)
    scores = _scores()
    assert {name: _rfm(scores[m.id]) for name, m in zip(wanted, members, strict=True)} == wanted
    classes = [scores[m.id].rfm_class for m in members]
    assert classes == [C.CHAMPIONS, C.AT_RISK, C.POTENTIAL, C.NEEDS_ATTENTION, C.AT_RISK]
    # No purchase: lowest scores, new within NEW_MEMBER_DAYS of joining, lost after.
    for member, cls in ((fresh, C.NEW), (old, C.LOST)):
        score = scores[member.id]
        assert (_rfm(score), score.frequency, score.monetary, score.recency_days, score.rfm_class) == (
            (1, 1, 1),
            0,
            Decimal("0"),
            None,
            cls,
        )


@pytest.mark.parametrize(
    ("r", "fm", "expected"),
    [
        (5, 5, C.CHAMPIONS),
        (5, 4, C.CHAMPIONS),
        (5, 3, C.POTENTIAL),
        (5, 1, C.NEW),
        (4, 1, C.POTENTIAL),
        (4, 4, C.LOYAL),
        (3, 4, C.LOYAL),
        (3, 3, C.NEEDS_ATTENTION),
        (3, 1, C.NEEDS_ATTENTION),
        (2, 3, C.AT_RISK),
        (2, 2, C.HIBERNATING),
        (1, 2, C.LOST),
        (1, 4, C.AT_RISK),
        (1, 5, C.CANT_LOSE),
        (2, 5, C.CANT_LOSE),
    ],
)
def test_class_boundaries(r, fm, expected):
    assert class_of(r, fm) == expected


def test_the_sql_class_map_is_the_grid(shop):
    for r_score, row in CLASS_GRID.items():
        for fm_score, cls in enumerate(row, 1):
            assert db.scalar(select(rfm._class_of(literal(r_score), literal(fm_score)))) == cls.value


def test_reversed_purchases_do_not_count(shop):
    member = _member(shop, 1)
    _buy(shop, member, "30", days_ago=2)
    reverse_purchase(shop, _buy(shop, member, "500", days_ago=1))
    refresh_scores(shop, NOW)
    score = _scores()[member.id]
    assert (score.frequency, score.monetary, score.recency_days) == (1, Decimal("30.00"), 2)


def test_the_window_counts_whole_shop_days_today_included(shop):
    inside, outside = _member(shop, 1), _member(shop, 2)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    # Today is 2025-06-16 in Shanghai; 365 days today included start on 2024-06-17 at 00:00 shop time.
    _buy(shop, inside, at=dt.datetime(2024, 6, 17, 0, 0, tzinfo=shanghai))
    _buy(shop, outside, at=dt.datetime(2024, 6, 16, 23, 59, tzinfo=shanghai))
    refresh_scores(shop, NOW)
    scores = _scores()
    assert (scores[inside.id].frequency, scores[inside.id].recency_days) == (1, 364)
    assert (scores[outside.id].frequency, scores[outside.id].rfm_class) == (0, C.LOST)

    shop.rfm_window_days = 30
    refresh_scores(shop, NOW)
    assert _scores()[inside.id].frequency == 0


def test_recency_counts_days_in_the_shops_time_zone(shop):
    yesterday, today = _member(shop, 1), _member(shop, 2)
    # Both on 2025-06-15 in UTC; 23:30 and 00:30 in Shanghai fall on the 15th and the 16th.
    _buy(shop, yesterday, at=dt.datetime(2025, 6, 15, 15, 30, tzinfo=dt.UTC))
    _buy(shop, today, at=dt.datetime(2025, 6, 15, 16, 30, tzinfo=dt.UTC))
    refresh_scores(shop, NOW)
    scores = _scores()
    assert (scores[yesterday.id].recency_days, scores[today.id].recency_days) == (1, 0)

    shop.timezone = "UTC"  # the same purchases, in a shop whose today is the 15th
    refresh_scores(shop, NOW)
    scores = _scores()
    assert (scores[yesterday.id].recency_days, scores[today.id].recency_days) == (0, 0)


def test_purchases_after_now_do_not_count(shop):
    member = _member(shop, 1)
    _buy(shop, member, at=NOW + dt.timedelta(minutes=1))
    refresh_scores(shop, NOW)
    assert _scores()[member.id].frequency == 0


def test_another_shops_members_and_purchases_never_count(ctx, shop, shop_b):
    mine = [_member(shop, n) for n in range(2)]
    _buy(shop, mine[0], "10")
    _buy(shop, mine[1], "20")
    with scoped_to(shop_b.tenant.id):
        tenant_b = db.get(Tenant, shop_b.tenant.id)
        big = create_member(tenant_b, phone="13900139000", source=Source.PORTAL)
        db.flush()
        for _ in range(5):
            _buy(tenant_b, big, "999")
        assert refresh_scores(tenant_b, NOW) == 1
    assert refresh_scores(shop, NOW) == 2
    scores = _scores()
    assert [scores[m.id].m for m in mine] == [2, 4]  # two buyers: 1 + floor(5 × 1/4), 1 + floor(5 × 3/4)
    with unscoped():
        db.expire_all()
        rows = db.scalars(select(MemberScore).order_by(MemberScore.member_id)).all()
        assert [(s.tenant_id, s.member_id) for s in rows] == [
            (shop.id, mine[0].id),
            (shop.id, mine[1].id),
            (tenant_b.id, big.id),
        ]


def test_refreshing_again_gives_the_same_rows(shop):
    members = [_member(shop, n) for n in range(3)]
    for n, member in enumerate(members):
        _buy(shop, member, str(10 + n), days_ago=n + 1)
    assert refresh_scores(shop, NOW) == 3
    first = {i: (_rfm(s), s.rfm_class, s.monetary) for i, s in _scores().items()}
    assert refresh_scores(shop, NOW) == 3
    assert {i: (_rfm(s), s.rfm_class, s.monetary) for i, s in _scores().items()} == first


def test_counts_class_lists_and_members_needing_care(shop):
    # Two good customers who stopped coming 300 days ago, a first-time buyer today, one who never bought.
    lapsed = [_member(shop, n) for n in range(2)]
    for member, amount in zip(lapsed, ["500", "800"], strict=True):
        for visit in range(3):
            _buy(shop, member, amount, days_ago=300 + visit)
    recent = _member(shop, 5)
    _buy(shop, recent, "5", days_ago=0.1)
    _member(shop, 6)
    refresh_scores(shop, NOW)
    scores = _scores()
    # Of three buyers: the lapsed share R 2 and F 4; M 3 and 5 make FM 4 (at risk) and 5 (can't lose).
    assert [(_rfm(scores[m.id]), scores[m.id].rfm_class) for m in [*lapsed, recent]] == [
        ((2, 4, 3), C.AT_RISK),
        ((2, 4, 5), C.CANT_LOSE),
        ((5, 1, 1), C.NEW),
    ]
    counts = class_counts(shop)
    assert counts == dict.fromkeys(RfmClass, 0) | {C.AT_RISK: 1, C.CANT_LOSE: 1, C.NEW: 1, C.LOST: 1}
    care = needs_care(shop, limit=5)
    assert [(m.id, s.rfm_class) for m, s in care] == [(lapsed[1].id, C.CANT_LOSE), (lapsed[0].id, C.AT_RISK)]
    assert [m.id for m, _ in db.execute(members_in_class(shop, C.AT_RISK)).tuples()] == [lapsed[0].id]


def test_nightly_tick_refreshes_each_shop_once_a_night_in_shop_time(ctx, shop_a, shop_b):
    for n, shop in enumerate((shop_a, shop_b)):
        with scoped_to(shop.tenant.id):
            tenant = db.get(Tenant, shop.tenant.id)
            tenant.timezone = "Asia/Shanghai"
            _member(tenant, n)
            db.commit()
    assert nightly.refresh_due_shops(NOW) == 2  # never scored: both are due at once (01:00 in Shanghai)
    assert nightly.refresh_due_shops(NOW + dt.timedelta(minutes=30)) == 0
    # 02:59 in Shanghai is not yet due; 03:00 is, once.
    assert nightly.refresh_due_shops(dt.datetime(2025, 6, 15, 18, 59, tzinfo=dt.UTC)) == 0
    three_am = dt.datetime(2025, 6, 15, 19, 0, tzinfo=dt.UTC)
    assert nightly.refresh_due_shops(three_am) == 2
    assert nightly.refresh_due_shops(three_am + dt.timedelta(hours=1)) == 0
    with unscoped():
        assert set(db.scalars(select(MemberScore.computed_at))) == {three_am}


def test_the_scheduler_registers_the_tick_once(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    from mcrm.scheduling import add_jobs

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        add_jobs(scheduler, app)
        add_jobs(scheduler, app)
        assert [job.id for job in scheduler.get_jobs()].count("rfm_scores") == 1
    finally:
        scheduler.shutdown(wait=False)


def test_a_failing_shop_does_not_stop_the_others(ctx, shop_a, shop_b, monkeypatch, caplog):
    real = nightly.refresh_scores

    def flaky(tenant, now):
        if tenant.id == shop_a.tenant.id:
            raise RuntimeError("disk full")
        return real(tenant, now)

    monkeypatch.setattr(nightly, "refresh_scores", flaky)
    with scoped_to(shop_b.tenant.id):
        _member(db.get(Tenant, shop_b.tenant.id), 1)
        db.commit()
    with caplog.at_level(logging.ERROR, logger="mcrm.analytics.nightly"):
        assert nightly.refresh_due_shops(NOW) == 1
    assert f"RFM refresh failed for shop {shop_a.tenant.id}" in caplog.text
    with unscoped():
        assert [s.tenant_id for s in db.scalars(select(MemberScore))] == [shop_b.tenant.id]


def test_member_page_shows_the_class_and_staff_refresh_on_demand(app, client, shop_a, shop_b):
    with app.app_context(), scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        member = _member(tenant, 1)
        _buy(tenant, member, "50", at=utcnow() - dt.timedelta(minutes=5))  # the page's refresh uses the clock
        member_id = member.id
        db.commit()
    log_in(client, "staff-a@example.com")
    page = client.get(f"/members/{member_id}").text
    assert "Not scored yet." in page
    response = client.post(f"/analytics/rfm/refresh?next=/members/{member_id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/members/{member_id}"
    page = client.get(f"/members/{member_id}").text
    assert "1 member scored." in page
    # A lone buyer: nothing to compare with, so 3 on every count, hence "needs attention".
    assert "Needs attention</strong>: Middling on every count" in page
    assert "Recency 3, frequency 3, spend 3" in page
    with app.app_context(), unscoped():
        assert db.scalar(select(MemberScore.tenant_id)) == shop_a.tenant.id  # shop B scored nobody
