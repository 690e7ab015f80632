"""The scheduler's greetings tick with a controlled clock: on time in each shop's zone, once whatever the
number of ticks or schedulers, catching up within the grace period and recording older occasions as missed."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import delete, select

from mcrm.care.defaults import ensure_default_rules
from mcrm.care.models import GreetingKind, GreetingRule, GreetingRun, GreetingRunStatus
from mcrm.care.ticks import due_time, run_due_greetings
from mcrm.db import db
from mcrm.messaging.models import Message
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant, TenantStatus
from tests.care import add_member, add_rule

SPRING = "Chinese New Year (Spring Festival)"
DAY = dt.date(2027, 9, 15)
TEN = dt.datetime(2027, 9, 15, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai
# The rules were switched on the evening before (20:00 in Shanghai).
ENABLED = dt.datetime(2027, 9, 14, 12, tzinfo=dt.UTC)


def _set_up(shop, zone: str = "Asia/Shanghai", **rule_fields) -> tuple[int, int]:
    """Two members with a birthday on DAY, one the day before, one who opted out; an enabled birthday rule."""
    with scoped_to(shop.tenant.id):
        tenant = db.get(Tenant, shop.tenant.id)
        tenant.timezone = zone
        add_member(tenant, "+8613900000001", "Ann", birthday_month=9, birthday_day=15)
        add_member(tenant, "+8613900000002", "Bo", birthday_month=9, birthday_day=15)
        add_member(tenant, "+8613900000003", "Yesterday", birthday_month=9, birthday_day=14)
        gone = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
        add_member(tenant, "+8613900000004", "Gone", birthday_month=9, birthday_day=15, opted_out_at=gone)
        fields = {"updated_at": ENABLED, **rule_fields}
        rule = add_rule(tenant, GreetingKind.BIRTHDAY, **fields)
        db.commit()
        return tenant.id, rule.id


def _all(query):
    with unscoped():
        rows = db.execute(query).all()
    db.commit()
    return rows


def _greeted() -> list[tuple[int, str]]:
    return sorted(_all(select(Message.tenant_id, Message.phone)))


def _runs() -> list[tuple[int, dt.date, GreetingRunStatus, int, str | None]]:
    query = select(
        GreetingRun.tenant_id, GreetingRun.occurs_on, GreetingRun.status, GreetingRun.messages, GreetingRun.error
    )
    return sorted(_all(query))


@pytest.fixture
def set_up(ctx, shop_a, shop_b):
    return _set_up(shop_a), _set_up(shop_b)


def test_two_ticks_greet_each_member_once(set_up):
    (a, _), (b, _) = set_up
    assert run_due_greetings(TEN - dt.timedelta(minutes=1)) == 0
    assert run_due_greetings(TEN) == 4
    assert run_due_greetings(TEN + dt.timedelta(minutes=1)) == 0
    assert _greeted() == [(t, p) for t in (a, b) for p in ("+8613900000001", "+8613900000002")]
    assert _runs() == [(a, DAY, GreetingRunStatus.SENT, 2, None), (b, DAY, GreetingRunStatus.SENT, 2, None)]


def test_changing_the_hour_after_the_greeting_does_not_send_it_again(set_up):
    (a, rule_id), _ = set_up
    run_due_greetings(TEN)
    with scoped_to(a):
        rule = db.get(GreetingRule, rule_id)
        rule.send_hour, rule.updated_at = 15, TEN + dt.timedelta(hours=2)
        db.commit()
    assert run_due_greetings(TEN + dt.timedelta(hours=5, minutes=1)) == 0
    assert len([row for row in _greeted() if row[0] == a]) == 2
    # The next day greets the next day's birthdays, at the new hour.
    with scoped_to(a):
        add_member(db.get(Tenant, a), "+8613900000005", "Tomorrow", birthday_month=9, birthday_day=16)
        db.commit()
    assert run_due_greetings(TEN + dt.timedelta(days=1, hours=4, minutes=59)) == 0
    assert run_due_greetings(TEN + dt.timedelta(days=1, hours=5)) == 1


@pytest.mark.postgres_only
def test_concurrent_ticks_greet_each_member_once(app, set_up):
    barrier, results, errors = threading.Barrier(4), [], []

    def tick():
        with app.app_context():
            try:
                barrier.wait()
                results.append(run_due_greetings(TEN))
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                db.remove()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and sum(results) == 4
    (a, _), (b, _) = set_up
    assert _greeted() == [(t, p) for t in (a, b) for p in ("+8613900000001", "+8613900000002")]
    assert len(_runs()) == 2


def test_a_late_scheduler_catches_up_within_the_grace_period_and_records_older_as_missed(ctx, shop_a, shop_b):
    # Switched on on the 13th, the scheduler down since before the 14th's greetings.
    a, _ = _set_up(shop_a, updated_at=ENABLED - dt.timedelta(days=1))
    b, _ = _set_up(shop_b, updated_at=ENABLED - dt.timedelta(days=1))
    # Back at 15:00 in Shanghai on the 15th, five hours after the day's greetings.
    assert run_due_greetings(TEN + dt.timedelta(hours=5)) == 4
    missed = "missed: the scheduler was not running at 2027-09-14 10:00"
    assert _runs() == [
        (a, dt.date(2027, 9, 14), GreetingRunStatus.MISSED, 0, missed),
        (a, DAY, GreetingRunStatus.SENT, 2, None),
        (b, dt.date(2027, 9, 14), GreetingRunStatus.MISSED, 0, missed),
        (b, DAY, GreetingRunStatus.SENT, 2, None),
    ]
    assert "+8613900000003" not in {phone for _, phone in _greeted()}


def test_the_grace_period_is_configurable(ctx, set_up):
    ctx.config["MCRM_SCHEDULER_GRACE_HOURS"] = 2
    assert run_due_greetings(TEN + dt.timedelta(hours=3)) == 0
    assert {status for _, _, status, _, _ in _runs()} == {GreetingRunStatus.MISSED}
    assert _greeted() == []


def test_a_rule_switched_on_after_its_hour_starts_the_next_day(set_up):
    (a, rule_id), _ = set_up
    with scoped_to(a):
        db.get(GreetingRule, rule_id).updated_at = TEN + dt.timedelta(hours=5)  # 15:00, after today's 10:00
        db.commit()
    run_due_greetings(TEN + dt.timedelta(hours=5, minutes=1))
    assert [row for row in _runs() if row[0] == a] == []
    with scoped_to(a):
        add_member(db.get(Tenant, a), "+8613900000005", "Tomorrow", birthday_month=9, birthday_day=16)
        db.commit()
    run_due_greetings(TEN + dt.timedelta(days=1))
    assert [row for row in _runs() if row[0] == a] == [(a, dt.date(2027, 9, 16), GreetingRunStatus.SENT, 1, None)]


def test_suspended_shops_and_rules_switched_off_are_not_greeted(set_up):
    (a, _), (_, rule_b) = set_up
    with unscoped():
        db.get(Tenant, a).status = TenantStatus.SUSPENDED
        db.get(GreetingRule, rule_b).enabled = False
        db.commit()
    assert run_due_greetings(TEN) == 0
    assert _runs() == [] and _greeted() == []


def test_the_same_hour_in_shanghai_and_new_york_across_the_us_clock_change(ctx, shop_a, shop_b):
    a, _ = _set_up(shop_a, "Asia/Shanghai", updated_at=dt.datetime(2027, 3, 12, 20, tzinfo=dt.UTC))
    b, _ = _set_up(shop_b, "America/New_York", updated_at=dt.datetime(2027, 3, 12, 20, tzinfo=dt.UTC))
    for tenant_id in (a, b):
        with scoped_to(tenant_id):
            tenant = db.get(Tenant, tenant_id)
            add_member(tenant, "+8613900000013", "Saturday", birthday_month=3, birthday_day=13)
            add_member(tenant, "+8613900000014", "Sunday", birthday_month=3, birthday_day=14)
            db.commit()
    # 2027-03-14: New York moves from EST (UTC-5) to EDT (UTC-4) at 02:00. 10:00 is 15:00 UTC on Saturday
    # and 14:00 UTC on Sunday; Shanghai's 10:00 is 02:00 UTC on both days.
    saturday, sunday = dt.datetime(2027, 3, 13, tzinfo=dt.UTC), dt.datetime(2027, 3, 14, tzinfo=dt.UTC)
    moments = [saturday.replace(hour=h) for h in (2, 15)] + [sunday.replace(hour=h) for h in (2, 14)]
    for moment in moments:
        run_due_greetings(moment - dt.timedelta(seconds=1))
        run_due_greetings(moment)
    runs = _all(select(GreetingRun.tenant_id, GreetingRun.occurs_on, GreetingRun.due_at, GreetingRun.messages))
    assert sorted(runs) == [
        (a, dt.date(2027, 3, 13), saturday.replace(hour=2), 1),
        (a, dt.date(2027, 3, 14), sunday.replace(hour=2), 1),
        (b, dt.date(2027, 3, 13), saturday.replace(hour=15), 1),
        (b, dt.date(2027, 3, 14), sunday.replace(hour=14), 1),
    ]


def test_an_hour_the_clocks_skip_sends_at_the_hour_that_exists_next(ctx, shop_b):
    with scoped_to(shop_b.tenant.id):
        tenant = db.get(Tenant, shop_b.tenant.id)
        tenant.timezone = "America/New_York"
        rule = add_rule(tenant, GreetingKind.BIRTHDAY, send_hour=2)
        # 02:00 does not exist on 2027-03-14: 03:00 EDT, 07:00 UTC.
        assert due_time(tenant, rule, dt.date(2027, 3, 14)) == dt.datetime(2027, 3, 14, 7, tzinfo=dt.UTC)
        assert due_time(tenant, rule, dt.date(2027, 3, 15)) == dt.datetime(2027, 3, 15, 6, tzinfo=dt.UTC)


def test_a_new_shop_starts_with_default_rules_switched_off(ctx, shop_a):
    with scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        add_member(tenant, "+8613900000001", "Ann", birthday_month=2, birthday_day=6)
        rules = db.scalars(select(GreetingRule).order_by(GreetingRule.id)).all()
        assert [(r.kind, r.name, r.holiday_key, r.send_hour, r.enabled) for r in rules] == [
            (GreetingKind.BIRTHDAY, "Birthday", None, 10, False),
            (
                GreetingKind.HOLIDAY,
                "Chinese New Year (Spring Festival)",
                "Chinese New Year (Spring Festival)",
                10,
                False,
            ),
            (GreetingKind.HOLIDAY, "Mid-Autumn Festival", "Mid-Autumn Festival", 10, False),
            (GreetingKind.ANNIVERSARY, "Membership anniversary", None, 10, False),
        ]
        assert "{name}" in rules[0].template and "{shop}" in rules[0].template
        # Idempotent, and a holiday rule the owner deleted stays deleted.
        db.delete(rules[2])
        ensure_default_rules(tenant)
        assert len(db.scalars(select(GreetingRule)).all()) == 3
        db.commit()
    assert run_due_greetings(dt.datetime(2027, 2, 6, 2, tzinfo=dt.UTC)) == 0
    assert _runs() == []


def test_a_chinese_shop_names_its_holiday_rules_in_chinese(ctx, shop_b):
    with scoped_to(shop_b.tenant.id):
        tenant = db.get(Tenant, shop_b.tenant.id)
        tenant.locale = "zh_CN"
        db.execute(delete(GreetingRule).where(GreetingRule.tenant_id == tenant.id))
        ensure_default_rules(tenant)
        names = db.scalars(select(GreetingRule.name).where(GreetingRule.kind == GreetingKind.HOLIDAY)).all()
        assert sorted(names) == ["中秋节", "春节"]
