"""Coupons through the POS API: look one up, redeem it once; 409 with the reason after, 404 for any other code."""

import datetime as dt

import pytest

from mcrm.db import utcnow
from tests.api.conftest import snapshot
from tests.promotions.test_coupons import coupon_row, make_coupon


@pytest.fixture
def coupon_id(app, shop_a):
    return make_coupon(app, shop_a, expires_at=utcnow() + dt.timedelta(days=30))


def test_a_coupon_is_shown_with_its_member_offer_and_status(api_a, coupon_id):
    response = api_a.get("/coupons/KPW482931")
    assert response.status_code == 200
    body = response.get_json()
    assert body | {"expires_at": None} == {
        "code": "KPW482931",
        "status": "valid",
        "offer": "10% off a coffee",
        "promotion": "Spring coffee",
        "member": {"id": coupon_row(coupon_id).member_id, "name": "王芳", "phone": "+8613800138000"},
        "expires_at": None,
        "redeemed_at": None,
    }
    assert dt.datetime.fromisoformat(body["expires_at"]) == coupon_row(coupon_id).expires_at


def test_a_code_in_lower_case_with_spaces_and_dashes_is_found(api_a, coupon_id):
    assert api_a.get("/coupons/kpw%20482-931").get_json()["code"] == "KPW482931"


def test_redeeming_answers_the_redeemed_coupon_and_records_the_channel(api_a, coupon_id):
    response = api_a.post("/coupons/KPW482931/redeem")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "redeemed" and body["redeemed_at"] is not None
    stored = coupon_row(coupon_id)
    assert (stored.redeemed_via, stored.redeemed_by_id) == ("api", None)
    assert dt.datetime.fromisoformat(body["redeemed_at"]) == stored.redeemed_at
    assert api_a.get("/coupons/KPW482931").get_json()["status"] == "redeemed"


def test_a_second_redemption_answers_409_saying_when(api_a, coupon_id):
    api_a.post("/coupons/KPW482931/redeem")
    first = coupon_row(coupon_id).redeemed_at
    response = api_a.post("/coupons/KPW482931/redeem")
    assert response.status_code == 409
    body = response.get_json()
    assert body["reason"] == "redeemed"
    assert body["error"].startswith("Coupon KPW482931 was already redeemed at ")
    assert coupon_row(coupon_id).redeemed_at == first


def test_an_expired_coupon_answers_409_and_stays_unredeemed(app, api_a, shop_a):
    expired = make_coupon(app, shop_a, expires_at=utcnow() - dt.timedelta(hours=1))
    assert api_a.get("/coupons/KPW482931").get_json()["status"] == "expired"
    response = api_a.post("/coupons/KPW482931/redeem")
    assert response.status_code == 409
    assert response.get_json()["reason"] == "expired"
    assert response.get_json()["error"].startswith("Coupon KPW482931 expired at ")
    assert coupon_row(expired).redeemed_at is None


def test_another_shops_coupon_is_404_and_untouched(app, api_a, shop_b):
    theirs = make_coupon(app, shop_b, name="李四", expires_at=utcnow() + dt.timedelta(days=30))
    assert api_a.get("/rewards").status_code == 200  # the token's first use is recorded before the snapshot
    before = snapshot()
    for response in (api_a.get("/coupons/KPW482931"), api_a.post("/coupons/KPW482931/redeem")):
        assert response.status_code == 404
        assert response.get_json() == {"error": "No coupon with the code KPW482931 in this shop."}
    assert snapshot() == before
    assert coupon_row(theirs).redeemed_at is None


@pytest.mark.parametrize("code", ["NOPE", "KPW%00482931", "x" * 300])
def test_unknown_codes_answer_404_in_json(api_a, coupon_id, code):
    for response in (api_a.get(f"/coupons/{code}"), api_a.post(f"/coupons/{code}/redeem")):
        assert response.status_code == 404 and "error" in response.get_json()


def test_coupons_need_the_shops_token(client, coupon_id):
    assert client.get("/api/v1/coupons/KPW482931").status_code == 401
    assert client.post("/api/v1/coupons/KPW482931/redeem").status_code == 401
    assert coupon_row(coupon_id).redeemed_at is None
