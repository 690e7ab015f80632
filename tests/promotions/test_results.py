"""A promotion's results: messages by fate with reasons, purchases of recipients and of the hold-out within
the attribution window, the lift, coupons redeemed; and "too early to tell" while the window is open."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus, SuppressReason
from mcrm.points.models import Channel, Purchase
from mcrm.promotions.models import Coupon, Promotion, PromotionHoldout, PromotionRun, PromotionStatus
from mcrm.promotions.results import results
from mcrm.promotions.ticks import run_due_promotions
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.conftest import log_in
from tests.promotions.delivery import EVERYONE, add_member, add_promotion

STARTED = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
DAY = dt.timedelta(days=1)


def _message(tenant, run, phone, status, *, sent_at=STARTED, error=None, reason=None) -> Message:
    message = Message(
        tenant_id=tenant.id,
        direction=Direction.OUT,
        kind=MessageKind.MARKETING,
        phone=phone,
        shop_number="1069001001",
        body="Hi",
        status=status,
        error=error,
        suppressed_reason=reason,
        sent_at=sent_at if status not in (MessageStatus.SUPPRESSED, MessageStatus.QUEUED) else None,
        created_at=STARTED,
        promotion_run_id=run.id,
    )
    db.add(message)
    return message


def _buy(tenant, member, at, amount="30.00", reversed_at=None) -> None:
    db.add(
        Purchase(
            tenant_id=tenant.id,
            member_id=member.id,
            amount=Decimal(amount),
            occurred_at=at,
            channel=Channel.PORTAL,
            reversed_at=reversed_at,
        )
    )


@pytest.fixture
def promotion_id(app, shop_a, shop_b):
    """A sent run of shop A by hand: four recipients, four held out, failures, a suppression, coupons."""
    with app.app_context(), scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        promotion = add_promotion(tenant, status=PromotionStatus.SENT, holdout_percent=50, coupon_enabled=True)
        run = PromotionRun(tenant_id=tenant.id, promotion_id=promotion.id, due_at=STARTED, started_at=STARTED)
        db.add(run)
        db.flush()
        sent = [add_member(tenant, f"+861380013800{n}", f"R{n}") for n in range(4)]
        held = [add_member(tenant, f"+861390013900{n}", f"H{n}") for n in range(4)]
        failed = add_member(tenant, "+8613700137000", "F")
        rejected = add_member(tenant, "+8613700137001", "J")
        stopped = add_member(tenant, "+8613700137002", "S")
        fates = (MessageStatus.DELIVERED, MessageStatus.DELIVERED, MessageStatus.DELIVERED, MessageStatus.SENT)
        for member, status in zip(sent, fates, strict=True):
            _message(tenant, run, member.phone, status, sent_at=STARTED + dt.timedelta(minutes=1))
        _message(tenant, run, failed.phone, MessageStatus.UNDELIVERED, error="UNDELIV")
        _message(tenant, run, rejected.phone, MessageStatus.FAILED, error="ESME_RINVDSTADR")
        _message(tenant, run, stopped.phone, MessageStatus.SUPPRESSED, reason=SuppressReason.OPTED_OUT)
        for member in held:
            db.add(PromotionHoldout(tenant_id=tenant.id, run_id=run.id, member_id=member.id))
        # Recipients: two buy within 7 days (one twice), one only after, one buys and the purchase is reversed.
        _buy(tenant, sent[0], STARTED + 2 * DAY, "30.00")
        _buy(tenant, sent[0], STARTED + 3 * DAY, "12.50")
        _buy(tenant, sent[1], STARTED + 6 * DAY, "20.00")
        _buy(tenant, sent[2], STARTED + 9 * DAY, "99.00")
        _buy(tenant, sent[3], STARTED + DAY, "50.00", reversed_at=STARTED + 2 * DAY)
        _buy(tenant, sent[3], STARTED - DAY, "50.00")  # before the message: not its result
        # The undelivered member bought too: undelivered was still sent (the network took it).
        _buy(tenant, failed, STARTED + DAY, "8.00")
        # The hold-out: one of four buys in the window.
        _buy(tenant, held[0], STARTED + 4 * DAY, "25.00")
        _buy(tenant, held[1], STARTED + 8 * DAY, "25.00")
        for number, member in enumerate(sent):
            redeemed = STARTED + DAY if number == 0 else None
            db.add(
                Coupon(
                    tenant_id=tenant.id,
                    run_id=run.id,
                    member_id=member.id,
                    code=f"ABC00000{number}",
                    expires_at=STARTED + 30 * DAY,
                    redeemed_at=redeemed,
                )
            )
        db.commit()
        promotion_id = promotion.id
    # Shop B has a member with a recipient's phone who bought: never counted for shop A.
    with app.app_context(), scoped_to(shop_b.tenant.id):
        tenant_b = db.get(Tenant, shop_b.tenant.id)
        _buy(tenant_b, add_member(tenant_b, "+8613800138003", "Other"), STARTED + DAY, "70.00")
        db.commit()
    return promotion_id


def _results(app, shop, promotion_id, now):
    with app.app_context(), scoped_to(shop.tenant.id):
        return results(db.get(Tenant, shop.tenant.id), db.get(Promotion, promotion_id), now)


def test_results_count_fates_reasons_purchases_lift_and_coupons(app, shop_a, promotion_id):
    outcome = _results(app, shop_a, promotion_id, STARTED + 30 * DAY)
    (run,) = outcome.runs
    total = outcome.total
    for figures in (run, total):
        assert (figures.written, figures.sent, figures.delivered) == (7, 5, 3)
        assert (figures.failed, figures.suppressed, figures.pending) == (2, 1, 0)
        assert [(r.label, r.count) for r in figures.failures] == [("ESME_RINVDSTADR", 1), ("UNDELIV", 1)]
        assert [(r.label, r.count) for r in figures.suppressions] == [("Member opted out", 1)]
        # Five sent; three bought within 7 days (R0 twice, R1, and the undelivered F); R2 too late, R3 reversed.
        assert (figures.recipients, figures.converted, figures.revenue) == (5, 3, Decimal("70.50"))
        assert (figures.held_out, figures.held_out_converted) == (4, 1)
        assert figures.conversion_rate == pytest.approx(0.6) and figures.holdout_rate == pytest.approx(0.25)
        assert figures.lift_points == pytest.approx(35.0) and figures.lift_relative == pytest.approx(1.4)
        assert (figures.coupons_issued, figures.coupons_redeemed, figures.redemption_rate) == (4, 1, 0.25)
        assert not figures.window_open


def test_too_early_to_tell_while_the_window_is_open(app, client, shop_a, promotion_id):
    early = _results(app, shop_a, promotion_id, STARTED + 2 * DAY)
    assert early.total.window_open and early.runs[0].window_open
    assert early.total.converted == 3  # the counts so far are still shown

    log_in(client, "owner-a@example.com")
    page = client.get(f"/promotions/{promotion_id}").text  # today is past the window
    assert 'id="too-early"' not in page
    assert 'id="result-converted">3<' in page and "60.0% of 5 recipients" in page
    assert "+35.0 percentage points" in page and "25.0% of 4 held out" in page
    assert 'id="result-coupons-redeemed">1<' in page and "25.0% of 4 issued" in page
    assert "ESME_RINVDSTADR" in page and "Not sent: Member opted out" in page


def test_results_of_a_run_the_tick_sent(app, client, shop_a):
    """The real pipeline: a hold-out of half the audience is not sent it; the page compares the halves."""
    with app.app_context(), scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        members = [add_member(tenant, f"+861380013800{n}", f"M{n}") for n in range(6)]
        promotion = add_promotion(tenant, body="Hi {name}", definition=EVERYONE, holdout_percent=50, send_at=STARTED)
        promotion.next_run_at = STARTED
        db.commit()
        promotion_id, member_ids = promotion.id, [m.id for m in members]
    with app.app_context():
        assert run_due_promotions(STARTED) == 1
    with app.app_context(), unscoped():
        phones = set(db.scalars(select(Message.phone).where(Message.promotion_run_id.is_not(None))))
        held = set(db.scalars(select(PromotionHoldout.member_id)))
        assert len(phones) == 3 and len(held) == 3
        db.execute(update(Message).values(status=MessageStatus.DELIVERED, sent_at=STARTED))
        with scoped_to(shop_a.tenant.id):
            tenant = db.get(Tenant, shop_a.tenant.id)
            for member_id in member_ids:
                member = db.get(Member, member_id)
                if member.phone in phones or member_id == min(held):
                    _buy(tenant, member, STARTED + DAY)
            db.commit()
    outcome = _results(app, shop_a, promotion_id, STARTED + 10 * DAY).total
    assert (outcome.recipients, outcome.converted, outcome.held_out, outcome.held_out_converted) == (3, 3, 3, 1)
    assert outcome.lift_points == pytest.approx(100 - 100 / 3)
