"""The points ledger: the earning rule, redemptions, adjustments, reversals, idempotency, verification."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.points.models import Channel, LedgerEntry, Purchase, Reward
from mcrm.points.services import (
    MAX_POINTS,
    InsufficientPoints,
    PointsError,
    adjust,
    ledger_mismatches,
    parse_amount,
    record_purchase,
    redeem,
    reverse_purchase,
)
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.points.helpers import member_with_points


def _member(member_id):
    return db.get(Member, member_id)


def _ledger_sum(member_id):
    return db.scalar(select(func.sum(LedgerEntry.points)).where(LedgerEntry.member_id == member_id))


def test_earning_rule_rounds_down_and_honours_the_minimum(ctx, shop_a, shop_b):
    member_id = member_with_points(ctx, shop_a, points_per_unit="0.5", points_min_amount="20")
    with scoped_to(shop_a.tenant.id):
        tenant, member = db.get(Tenant, shop_a.tenant.id), _member(member_id)
        assert record_purchase(tenant, member, Decimal("88.50"), channel=Channel.PORTAL).entry.points == 44
        assert record_purchase(tenant, member, Decimal("19.99"), channel=Channel.PORTAL).entry.points == 0
        db.commit()
        member = _member(member_id)
        assert (member.points_balance, member.visit_count, member.total_spent) == (44, 2, Decimal("108.49"))
        assert member.last_visit_at is not None


def test_welcome_bonus_is_booked_in_the_ledger(ctx, shop_a, shop_b):
    member_id = member_with_points(ctx, shop_a, welcome_bonus=50)
    with scoped_to(shop_a.tenant.id):
        assert _member(member_id).points_balance == 50
        entry = db.scalar(select(LedgerEntry).where(LedgerEntry.member_id == member_id))
        assert (entry.points, entry.balance_after, entry.reason.value) == (50, 50, "welcome")


def test_redeem_against_a_reward_or_points_never_below_zero(ctx, shop_a, shop_b):
    member_id = member_with_points(ctx, shop_a, points=150)
    with scoped_to(shop_a.tenant.id):
        tenant, member = db.get(Tenant, shop_a.tenant.id), _member(member_id)
        coffee = Reward(tenant_id=tenant.id, name="Coffee", points_cost=100)
        db.add(coffee)
        booking = redeem(tenant, member, 0, reward=coffee)
        assert (booking.entry.points, booking.entry.balance_after, booking.entry.note) == (-100, 50, "Coffee")
        with pytest.raises(InsufficientPoints, match="balance is 50"):
            redeem(tenant, member, 51, note="cake")
        with pytest.raises(PointsError, match="what the points were redeemed for"):
            redeem(tenant, member, 10, note=" ")
        db.commit()
        assert _member(member_id).points_balance == 50 == _ledger_sum(member_id)


def test_adjustment_needs_a_reason_and_cannot_go_below_zero(ctx, shop_a, shop_b):
    member_id = member_with_points(ctx, shop_a, points=10)
    with scoped_to(shop_a.tenant.id):
        tenant, member = db.get(Tenant, shop_a.tenant.id), _member(member_id)
        with pytest.raises(PointsError):
            adjust(tenant, member, 5, note="")
        with pytest.raises(InsufficientPoints):
            adjust(tenant, member, -11, note="typo")
        assert adjust(tenant, member, -10, note="typo").entry.balance_after == 0


def test_reversing_a_purchase_takes_its_points_back_once(ctx, shop_a, shop_b):
    member_id = member_with_points(ctx, shop_a)
    with scoped_to(shop_a.tenant.id):
        tenant, member = db.get(Tenant, shop_a.tenant.id), _member(member_id)
        record_purchase(tenant, member, Decimal("60"), channel=Channel.WAP)
        db.commit()
        purchase = db.scalar(select(Purchase))
        assert reverse_purchase(tenant, purchase).entry.balance_after == 0
        db.commit()
        with pytest.raises(PointsError, match="already reversed"):
            reverse_purchase(tenant, purchase)
        db.rollback()
        member = _member(member_id)
        assert (member.points_balance, member.visit_count, member.total_spent) == (0, 0, Decimal("0"))
        assert db.scalar(select(Purchase.reversed_at)) is not None


def test_a_purchase_whose_points_are_spent_cannot_be_reversed(ctx, shop_a, shop_b):
    member_id = member_with_points(ctx, shop_a)
    with scoped_to(shop_a.tenant.id):
        tenant, member = db.get(Tenant, shop_a.tenant.id), _member(member_id)
        record_purchase(tenant, member, Decimal("60"), channel=Channel.WAP)
        redeem(tenant, member, 50, note="cake")
        db.commit()
        with pytest.raises(InsufficientPoints, match="already spent"):
            reverse_purchase(tenant, db.scalar(select(Purchase)))
        db.rollback()
        assert db.scalar(select(Purchase.reversed_at)) is None
        assert _member(member_id).points_balance == 10


def test_the_same_idempotency_key_takes_effect_once(ctx, shop_a, shop_b):
    member_id = member_with_points(ctx, shop_a, points=500)
    with scoped_to(shop_a.tenant.id):
        tenant, member = db.get(Tenant, shop_a.tenant.id), _member(member_id)
        first = record_purchase(tenant, member, Decimal("30"), channel=Channel.API, idempotency_key="pos-1")
        again = record_purchase(tenant, member, Decimal("30"), channel=Channel.API, idempotency_key="pos-1")
        assert not first.replayed and again.replayed and again.entry.id == first.entry.id
        redeem(tenant, member, 100, note="x", idempotency_key="pos-2")
        assert redeem(tenant, member, 100, note="x", idempotency_key="pos-2").replayed
        db.commit()
        assert db.scalar(select(func.count()).select_from(Purchase)) == 1
        assert _member(member_id).points_balance == 430 == _ledger_sum(member_id)


@pytest.mark.parametrize("text", ["0", "-5", "abc", "1.234", "NaN", "1e9999"])
def test_bad_amounts_are_refused_with_a_message(ctx, text):
    with pytest.raises(PointsError):
        parse_amount(text)


def test_amounts_as_cashiers_type_them(ctx):
    assert parse_amount("¥1,288.5") == Decimal("1288.5")


def test_verify_names_the_members_whose_ledger_does_not_add_up(ctx, shop_a, shop_b):
    good = member_with_points(ctx, shop_a, points=10, phone="13800138000")
    bad = member_with_points(ctx, shop_b, points=10, phone="13800138001")
    with unscoped():
        assert ledger_mismatches() == []
        db.get(Member, bad).points_balance = 99  # what a hand-edit of the table would do
        db.commit()
        assert [(m[1], m[3], m[4]) for m in ledger_mismatches()] == [(bad, 99, 10)]
    assert good != bad
    result = ctx.test_cli_runner().invoke(args=["points", "verify"])
    assert result.exit_code == 1 and f"member {bad} (+8613800138001): balance 99, ledger sums to 10" in result.output


def test_a_balance_cannot_grow_past_what_the_database_holds(ctx, shop_a, shop_b):
    member_id = member_with_points(ctx, shop_a, points=MAX_POINTS - 10, points_per_unit="100")
    with scoped_to(shop_a.tenant.id):
        tenant, member = db.get(Tenant, shop_a.tenant.id), _member(member_id)
        with pytest.raises(PointsError, match="at most 2147483647 points"):
            record_purchase(tenant, member, Decimal("1"), channel=Channel.PORTAL)
        db.rollback()
        assert _member(member_id).points_balance == MAX_POINTS - 10 == _ledger_sum(member_id)


def test_the_database_refuses_to_rewrite_a_ledger_entry(ctx, shop_a, shop_b):
    member_with_points(ctx, shop_a, points=10)
    with unscoped():
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(update(LedgerEntry).values(points=1000))
        db.rollback()
        assert db.scalar(select(LedgerEntry.points)) == 10
