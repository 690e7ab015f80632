"""Coupons on the WAP page: the cashier types the code, sees whose it is and what it is worth, redeems it once."""

import datetime as dt
import re

import pytest

from mcrm.db import utcnow
from tests.conftest import log_in
from tests.promotions.test_coupons import coupon_row, make_coupon
from tests.wap.test_views import _check_small_and_plain


@pytest.fixture
def cashier(client, shop_a):
    log_in(client, "staff-a@example.com", path="/m/login")
    return client


def _later(days: int = 30) -> dt.datetime:
    return utcnow() + dt.timedelta(days=days)


def test_the_home_page_links_to_the_coupon_page(cashier):
    home = cashier.get("/m/").get_data(as_text=True)
    assert 'href="/m/coupon"' in home and "Redeem a coupon" in home
    _check_small_and_plain(cashier.get("/m/coupon").get_data(as_text=True))


def test_staff_look_a_coupon_up_redeem_it_and_see_a_clear_success_line(app, cashier, shop_a, shop_b):
    coupon_id = make_coupon(app, shop_a, expires_at=_later())
    page = cashier.get("/m/coupon", query_string={"code": "kpw 482 931"}).get_data(as_text=True)
    _check_small_and_plain(page)
    for shown in ("10% off a coffee", "KPW482931", "王芳 (138****8000)", "Spring coffee", "valid", ">Redeem<"):
        assert shown in page
    assert "13800138000" not in page  # the full number stays off the counter's screen

    response = cashier.post("/m/coupon", data={"code": "KPW482931"})
    assert response.headers["Location"] == "/m/coupon"
    done = cashier.get("/m/coupon").get_data(as_text=True)
    assert "Redeemed: 10% off a coffee for 王芳 (138****8000)." in done
    stored = coupon_row(coupon_id)
    assert (stored.redeemed_by_id, stored.redeemed_via) == (shop_a.staff.id, "wap")
    assert stored.redeemed_at is not None


def test_a_second_redemption_is_refused_saying_when(app, cashier, shop_a, shop_b):
    coupon_id = make_coupon(app, shop_a, expires_at=_later())
    cashier.post("/m/coupon", data={"code": "KPW482931"})
    first = coupon_row(coupon_id).redeemed_at
    again = cashier.post("/m/coupon", data={"code": "KPW482931"})
    assert again.status_code == 200
    page = again.get_data(as_text=True)
    assert re.search(r"Coupon KPW482931 was already redeemed at \d{4}-\d\d-\d\d \d\d:\d\d\.", page)
    assert "redeemed" in page and ">Redeem<" not in page
    assert coupon_row(coupon_id).redeemed_at == first


def test_an_expired_coupon_shows_expired_and_cannot_be_redeemed(app, cashier, shop_a, shop_b):
    coupon_id = make_coupon(app, shop_a, expires_at=_later(-1))
    page = cashier.get("/m/coupon?code=KPW482931").get_data(as_text=True)
    assert "expired" in page and ">Redeem<" not in page
    refused = cashier.post("/m/coupon", data={"code": "KPW482931"}).get_data(as_text=True)
    assert re.search(r"Coupon KPW482931 expired at \d{4}-\d\d-\d\d \d\d:\d\d\.", refused)
    assert coupon_row(coupon_id).redeemed_at is None


def test_another_shops_code_is_unknown_and_never_shows_their_member(app, cashier, shop_a, shop_b):
    theirs = make_coupon(app, shop_b, name="李四", phone="13900139000", expires_at=_later())
    for response in (
        cashier.get("/m/coupon?code=KPW482931"),
        cashier.post("/m/coupon", data={"code": "KPW482931"}),
    ):
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "No coupon with the code KPW482931 in this shop." in page
        assert "李四" not in page and "139****9000" not in page and "Spring coffee" not in page
    assert coupon_row(theirs).redeemed_at is None


@pytest.mark.parametrize("typed", ["x" * 41, "'><b>KPW"])
def test_odd_input_is_answered_plainly(cashier, shop_a, typed):
    response = cashier.get("/m/coupon", query_string={"code": typed})
    assert response.status_code == 200
    assert "<b>KPW" not in response.get_data(as_text=True)  # shown as text, never as markup
    assert cashier.post("/m/coupon", data={"code": typed}).status_code == 200


def test_the_owner_redeems_too_and_is_recorded(app, client, shop_a, shop_b):
    coupon_id = make_coupon(app, shop_a, expires_at=_later())
    log_in(client, "owner-a@example.com", path="/m/login")
    client.post("/m/coupon", data={"code": "KPW482931"})
    assert coupon_row(coupon_id).redeemed_by_id == shop_a.owner.id


def test_the_coupon_page_needs_a_login(app, client, shop_a):
    make_coupon(app, shop_a, expires_at=_later())
    assert client.get("/m/coupon?code=KPW482931").headers["Location"].startswith("/m/login")
    assert client.post("/m/coupon", data={"code": "KPW482931"}).headers["Location"].startswith("/m/login")
