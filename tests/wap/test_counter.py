"""The counter on the WAP page: find a member, record a purchase, redeem, register, in a few taps."""

from sqlalchemy import select

from mcrm.db import db
from mcrm.members.models import Member, Source
from mcrm.members.services import create_member
from mcrm.points.models import Reward
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.conftest import log_in
from tests.wap.test_views import _check_small_and_plain


def _member(app, shop, phone, name=""):
    with app.app_context(), scoped_to(shop.tenant.id):
        member = create_member(db.get(Tenant, shop.tenant.id), phone=phone, name=name, source=Source.PORTAL)
        db.commit()
        return member.id


def _balance(member_id):
    with unscoped():
        db.expunge_all()
        return db.get(Member, member_id).points_balance


def test_find_by_last_four_digits_then_purchase_and_redeem(app, client, shop_a, shop_b):
    li = _member(app, shop_a, "13800138000", "李雷")
    han = _member(app, shop_a, "13900008000", "韩梅梅")
    _member(app, shop_b, "13700008000", "Shop B's member")
    log_in(client, "staff-a@example.com", path="/m/login")
    found = client.get("/m/find?q=8000").get_data(as_text=True)
    _check_small_and_plain(found)
    assert "李雷" in found and "韩梅梅" in found and "Shop B" not in found
    page = client.get(f"/m/members/{li}").get_data(as_text=True)
    _check_small_and_plain(page)
    key = page.split('name="buy-idempotency_key" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        f"/m/members/{li}", data={"action": "purchase", "buy-amount": "66.6", "buy-idempotency_key": key}
    )
    assert response.status_code == 302
    client.post(f"/m/members/{li}", data={"action": "purchase", "buy-amount": "66.6", "buy-idempotency_key": key})
    assert _balance(li) == 66
    short = client.post(
        f"/m/members/{li}",
        data={
            "action": "redeem",
            "redeem-reward_id": "0",
            "redeem-points": "100",
            "redeem-reason": "dinner",
            "redeem-idempotency_key": "r1",
        },
    ).get_data(as_text=True)
    assert "Not enough points: the balance is 66." in short
    with unscoped():
        db.add(Reward(tenant_id=shop_a.tenant.id, name="Beer", points_cost=60))
        db.commit()
        beer = db.scalar(select(Reward.id))
    client.post(
        f"/m/members/{li}", data={"action": "redeem", "redeem-reward_id": str(beer), "redeem-idempotency_key": "r2"}
    )
    assert _balance(li) == 6 and _balance(han) == 0


def test_a_whole_number_goes_straight_to_the_member(app, client, shop_a):
    li = _member(app, shop_a, "13800138000")
    log_in(client, "staff-a@example.com", path="/m/login")
    assert client.get("/m/find?q=138 0013 8000").headers["Location"] == f"/m/members/{li}"


def test_register_a_new_member_at_the_counter(app, client, shop_a):
    log_in(client, "staff-a@example.com", path="/m/login")
    missing = client.get("/m/find?q=13800138000").get_data(as_text=True)
    assert "No member found for 13800138000." in missing and "/m/members/new?phone=13800138000" in missing
    form = client.get("/m/members/new?phone=13800138000").get_data(as_text=True)
    _check_small_and_plain(form)
    assert 'value="13800138000"' in form
    bad = client.post("/m/members/new", data={"phone": "12345"}).get_data(as_text=True)
    assert "12345 is not a valid mobile number." in bad
    response = client.post("/m/members/new", data={"phone": "13800138000", "name": "Lucy", "birthday": "0815"})
    with unscoped():
        member = db.scalar(select(Member))
    assert response.headers["Location"] == f"/m/members/{member.id}"
    assert (member.source.value, member.consent_source.value, member.birthday_month) == ("wap", "wap", 8)


def test_another_shops_member_is_not_found_at_the_counter(app, client, shop_a, shop_b):
    other = _member(app, shop_b, "13800138000")
    log_in(client, "staff-a@example.com", path="/m/login")
    assert "No member found" in client.get("/m/find?q=8000").get_data(as_text=True)
    assert client.get(f"/m/members/{other}").status_code == 404
    assert client.post(f"/m/members/{other}", data={"action": "purchase", "buy-amount": "10"}).status_code == 404


def test_a_bad_redemption_says_why_on_the_counter_page(app, client, shop_a):
    li = _member(app, shop_a, "13800138000")
    log_in(client, "staff-a@example.com", path="/m/login")
    page = client.post(
        f"/m/members/{li}",
        data={"action": "redeem", "redeem-reward_id": "0", "redeem-points": "abc", "redeem-idempotency_key": "x"},
    ).get_data(as_text=True)
    assert "Not a valid integer value." in page
