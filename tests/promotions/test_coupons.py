"""Coupons at the counter: a code typed loosely is found, redeemed once, refused with the reason after."""

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from mcrm.db import db
from mcrm.members.models import Member, Source
from mcrm.members.services import create_member
from mcrm.points.models import Channel
from mcrm.promotions.coupons import CouponError, CouponStatus, coupon_view, find_coupon, normalise_code, redeem
from mcrm.promotions.models import Coupon, Promotion, PromotionRun, PromotionStatus
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.conftest import make_test_app

NOW = dt.datetime(2024, 5, 1, 4, 30, tzinfo=dt.UTC)  # 12:30 in Shanghai


def make_coupon(
    app,
    shop,
    code: str = "KPW482931",
    *,
    phone: str = "13800138000",
    name: str = "王芳",
    offer: str = "10% off a coffee",
    expires_at: dt.datetime = NOW + dt.timedelta(days=30),
    status: PromotionStatus = PromotionStatus.SENT,
) -> int:
    """A coupon of `shop` sent to a new member in a run of a new promotion; its id."""
    tenant_id = shop.tenant.id
    with app.app_context(), scoped_to(tenant_id):
        member = create_member(db.get(Tenant, tenant_id), phone=phone, source=Source.PORTAL, name=name)
        promotion = Promotion(
            tenant_id=tenant_id,
            name="Spring coffee",
            body="{name}, show {coupon} at the counter",
            definition={"match": "all", "groups": []},
            status=status,
            coupon_enabled=True,
            coupon_offer=offer,
        )
        db.add(promotion)
        db.flush()
        run = PromotionRun(tenant_id=tenant_id, promotion_id=promotion.id, due_at=NOW - dt.timedelta(days=1))
        db.add(run)
        db.flush()
        coupon = Coupon(tenant_id=tenant_id, run_id=run.id, member_id=member.id, code=code, expires_at=expires_at)
        db.add(coupon)
        db.commit()
        coupon_id = coupon.id
    db.remove()
    return coupon_id


def coupon_row(coupon_id: int) -> Coupon:
    """The coupon as stored, read past the tenant scope in a session that is then released."""
    with unscoped():
        db.expunge_all()
        coupon = db.get(Coupon, coupon_id)
    db.remove()
    return coupon


@contextmanager
def in_shop(app, shop) -> Iterator[Tenant]:
    """The shop, as a job or request sees it: its own app context and tenant scope."""
    with app.app_context(), scoped_to(shop.tenant.id):
        yield db.get(Tenant, shop.tenant.id)


@pytest.mark.parametrize(
    "typed", ["KPW482931", " kpw482931 ", "KPW 482 931", "kpw-482-931", "ＫＰＷ４８２９３１", "KPW\u3000482\u2014931"]
)
def test_a_code_typed_with_spaces_dashes_lower_case_or_full_width_is_the_stored_code(typed):
    assert normalise_code(typed) == "KPW482931"


def test_a_coupon_is_redeemed_once_and_records_who_when_and_through_what(app, shop_a, shop_b):
    coupon_id = make_coupon(app, shop_a)
    with in_shop(app, shop_a) as tenant:
        coupon = redeem(tenant, "kpw 482 931", shop_a.staff, Channel.WAP, NOW)
        db.commit()
        view = coupon_view(tenant, coupon, NOW)
    assert (view.status, view.offer, view.promotion, view.member_label, view.member_phone) == (
        CouponStatus.REDEEMED,
        "10% off a coffee",
        "Spring coffee",
        "王芳 (138****8000)",
        "+8613800138000",
    )
    stored = coupon_row(coupon_id)
    assert (stored.redeemed_at, stored.redeemed_by_id, stored.redeemed_via) == (NOW, shop_a.staff.id, "wap")


def test_a_second_redemption_is_refused_saying_when_in_the_shops_timezone(app, shop_a, shop_b):
    coupon_id = make_coupon(app, shop_a)
    with in_shop(app, shop_a) as tenant:
        tenant.timezone = "America/New_York"
        redeem(tenant, "KPW482931", shop_a.owner, Channel.WAP, NOW)
        db.commit()
        with pytest.raises(CouponError) as refused:
            redeem(tenant, "KPW482931", shop_a.staff, Channel.API, NOW + dt.timedelta(hours=2))
    assert refused.value.reason == "redeemed"
    assert str(refused.value) == "Coupon KPW482931 was already redeemed at 2024-05-01 00:30."
    stored = coupon_row(coupon_id)
    assert (stored.redeemed_at, stored.redeemed_by_id, stored.redeemed_via) == (NOW, shop_a.owner.id, "wap")


def test_an_expired_coupon_is_refused_saying_when_it_expired(app, shop_a, shop_b):
    coupon_id = make_coupon(app, shop_a, expires_at=NOW - dt.timedelta(minutes=30))
    with in_shop(app, shop_a) as tenant:
        with pytest.raises(CouponError) as refused:
            redeem(tenant, "KPW482931", shop_a.staff, Channel.WAP, NOW)
        assert coupon_view(tenant, find_coupon(tenant, "KPW482931"), NOW).status == CouponStatus.EXPIRED
    assert refused.value.reason == "expired"
    assert str(refused.value) == "Coupon KPW482931 expired at 2024-05-01 12:00."
    assert coupon_row(coupon_id).redeemed_at is None


def test_a_coupon_already_sent_stays_good_when_its_promotion_is_cancelled(app, shop_a, shop_b):
    make_coupon(app, shop_a, status=PromotionStatus.CANCELLED)
    with in_shop(app, shop_a) as tenant:
        assert redeem(tenant, "KPW482931", shop_a.staff, Channel.WAP, NOW).redeemed_at == NOW


def test_another_shops_code_is_unknown_and_stays_unredeemed(app, shop_a, shop_b):
    theirs = make_coupon(app, shop_b, name="李四")
    with in_shop(app, shop_a) as tenant:
        assert find_coupon(tenant, "KPW482931") is None
        with pytest.raises(CouponError) as refused:
            redeem(tenant, "KPW482931", shop_a.staff, Channel.WAP, NOW)
    assert refused.value.reason == "unknown"
    assert str(refused.value) == "No coupon with the code KPW482931 in this shop."
    assert coupon_row(theirs).redeemed_at is None


@pytest.mark.parametrize("typed", ["", "   ", "KPW\x00482931", "KPW482931" * 10, "KPW/482931", "'; DROP"])
def test_text_that_cannot_be_a_code_is_unknown(app, shop_a, shop_b, typed):
    make_coupon(app, shop_a)
    with in_shop(app, shop_a) as tenant:
        assert find_coupon(tenant, typed) is None
        with pytest.raises(CouponError) as refused:
            redeem(tenant, typed, shop_a.staff, Channel.API, NOW)
    assert refused.value.reason == "unknown"


@pytest.fixture
def pg_app(database_url, tmp_path):
    """The app with a connection for each of the racing threads."""
    return make_test_app(database_url, tmp_path, DATABASE_POOL_SIZE=10)


@pytest.mark.postgres_only
def test_two_cashiers_tapping_redeem_at_once_redeem_it_once(pg_app, shops):
    shop_a = shops[0]
    coupon_id = make_coupon(pg_app, shop_a)
    tenant_id = shop_a.tenant.id
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def cashier(i, user_id):
        with pg_app.app_context(), scoped_to(tenant_id):
            try:
                tenant, user = db.get(Tenant, tenant_id), db.get(type(shop_a.staff), user_id)
                barrier.wait(timeout=30)
                outcomes[i] = redeem(tenant, "KPW482931", user, Channel.WAP, NOW)
                db.commit()
            except CouponError as error:
                db.rollback()
                outcomes[i] = error
            finally:
                db.remove()

    threads = [
        threading.Thread(target=cashier, args=(i, user.id)) for i, user in enumerate([shop_a.owner, shop_a.staff])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    refused = [o for o in outcomes if isinstance(o, CouponError)]
    redeemed = [o for o in outcomes if isinstance(o, Coupon)]
    assert len(redeemed) == 1 and len(refused) == 1, outcomes
    assert refused[0].reason == "redeemed"
    stored = coupon_row(coupon_id)
    assert stored.redeemed_by_id == redeemed[0].redeemed_by_id and stored.redeemed_at == NOW
    with pg_app.app_context(), unscoped():
        assert db.scalar(select(Member.name).where(Member.id == stored.member_id)) == "王芳"
    db.remove()
