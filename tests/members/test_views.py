"""The portal's member pages, as a cashier and an owner use them."""

import re

from sqlalchemy import func, select

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.points.models import LedgerEntry, Purchase, Reward
from tenants.isolation import unscoped
from tests.conftest import log_in

NEW = {
    "phone": "138 0013 8000",
    "name": "李雷",
    "gender": "male",
    "birthday": "农历0815",
    "tags": "VIP，常客",
    "notes": "likes spicy",
}


def _members():
    with unscoped():
        db.expunge_all()
        return db.scalars(select(Member).order_by(Member.id)).all()


def _add(client, **changes):
    response = client.post("/members/new", data={**NEW, **changes})
    return response, _members()


def test_staff_add_a_member_and_see_the_member_page(client, shop_a, shop_b):
    log_in(client, "staff-a@example.com")
    response, members = _add(client)
    assert response.status_code == 302
    member = members[0]
    assert (member.phone, member.name, member.birthday_lunar, member.tenant_id) == (
        "+8613800138000",
        "李雷",
        True,
        shop_a.tenant.id,
    )
    page = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert "李雷" in page and "农历 08-15" in page and "VIP" in page and "常客" in page


def test_a_bad_number_is_explained_and_the_form_keeps_what_was_typed(client, shop_a):
    log_in(client, "staff-a@example.com")
    response, members = _add(client, phone="12345")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "12345 is not a valid mobile number" in page
    assert 'value="李雷"' in page and members == []


def test_an_existing_number_leads_to_that_member(client, shop_a):
    log_in(client, "staff-a@example.com")
    _add(client)
    response, members = _add(client, phone="+86 138-0013-8000", name="Someone else")
    assert len(members) == 1 and response.headers["Location"] == f"/members/{members[0].id}"


def test_list_search_and_pagination(client, shop_a, shop_b):
    log_in(client, "owner-a@example.com")
    for i in range(55):
        client.post("/members/new", data={"phone": f"1380013{i:04d}", "name": f"M{i}", "gender": "unknown"})
    first = client.get("/members/").get_data(as_text=True)
    assert "(55)" in first and "Page 1 of 2" in first
    assert "M0<" not in first and "M54<" in first  # newest first
    second = client.get("/members/?page=2&sort=").get_data(as_text=True)
    assert "M0<" in second and 'href="/members/?page=1&amp;sort="' in second  # the way back keeps the filters
    found = client.get("/members/?q=0042").get_data(as_text=True)
    assert "M42<" in found and "M41<" not in found


def test_edit_keeps_the_member_and_changes_the_details(client, shop_a):
    log_in(client, "staff-a@example.com")
    _, members = _add(client)
    client.post(f"/members/{members[0].id}/edit", data={**NEW, "name": "Li Lei", "tags": "VIP"})
    page = client.get(f"/members/{members[0].id}").get_data(as_text=True)
    assert "Li Lei" in page and "常客" not in page


def test_purchase_redeem_adjust_and_reverse_from_the_member_page(client, shop_a):
    log_in(client, "owner-a@example.com")
    _, members = _add(client)
    member_id = members[0].id
    url = f"/members/{member_id}"
    client.post(f"{url}/purchases", data={"amount": "128.80", "idempotency_key": "k1"})
    client.post(f"{url}/purchases", data={"amount": "128.80", "idempotency_key": "k1"})  # a double tap
    assert _members()[0].points_balance == 128
    with unscoped():
        db.add(Reward(tenant_id=shop_a.tenant.id, name="Free beer", points_cost=50))
        db.commit()
        reward_id = db.scalar(select(Reward.id))
    page = client.get(url).get_data(as_text=True)
    assert "Free beer (50)" in page
    client.post(f"{url}/redemptions", data={"reward_id": reward_id, "idempotency_key": "k2"})
    client.post(f"{url}/adjustments", data={"points": "-8", "reason": "typo"})
    assert _members()[0].points_balance == 70
    short = client.post(
        f"{url}/redemptions",
        data={"reward_id": 0, "points": 500, "reason": "tv", "idempotency_key": "k3"},
        follow_redirects=True,
    )
    assert "Not enough points: the balance is 70." in short.get_data(as_text=True)
    with unscoped():
        purchase_id = db.scalar(select(Purchase.id))
    reversed_page = client.post(f"/purchases/{purchase_id}/reverse", follow_redirects=True).get_data(as_text=True)
    assert "already spent" in reversed_page  # 128 earned, only 70 left
    client.post(f"{url}/adjustments", data={"points": "100", "reason": "goodwill"})
    client.post(f"/purchases/{purchase_id}/reverse")
    member = _members()[0]
    assert (member.points_balance, member.visit_count) == (42, 0)
    with unscoped():
        assert db.scalar(select(func.sum(LedgerEntry.points))) == 42


def test_staff_may_not_adjust_reverse_or_delete(client, shop_a):
    log_in(client, "owner-a@example.com")
    _, members = _add(client)
    member_id = members[0].id
    client.post(f"/members/{member_id}/purchases", data={"amount": "10", "idempotency_key": "a"})
    client.post("/logout")
    log_in(client, "staff-a@example.com")
    with unscoped():
        purchase_id = db.scalar(select(Purchase.id))
    assert client.post(f"/members/{member_id}/adjustments", data={"points": 5, "reason": "x"}).status_code == 403
    assert client.post(f"/purchases/{purchase_id}/reverse").status_code == 403
    assert client.get(f"/members/{member_id}/delete").status_code == 403
    page = client.get(f"/members/{member_id}").get_data(as_text=True)
    assert "Adjust the balance" not in page and "Reverse" not in page and "/delete" not in page


def test_owner_deletes_only_after_confirming(client, shop_a):
    log_in(client, "owner-a@example.com")
    _, members = _add(client)
    url = f"/members/{members[0].id}/delete"
    assert "Tick the box to confirm." in client.post(url, data={}).get_data(as_text=True)
    assert len(_members()) == 1
    client.post(url, data={"confirm": "y"})
    assert _members() == []


def test_earning_rule_and_rewards_settings(client, shop_a):
    log_in(client, "owner-a@example.com")
    client.post("/settings/points", data={"points_per_unit": "2", "points_min_amount": "10", "welcome_bonus": "20"})
    client.post("/settings/rewards", data={"name": "Coffee", "points_cost": "100"})
    page = client.get("/settings/points").get_data(as_text=True)
    assert "Coffee" in page
    _, members = _add(client)
    assert members[0].points_balance == 20
    client.post(f"/members/{members[0].id}/purchases", data={"amount": "9.99", "idempotency_key": "a"})
    client.post(f"/members/{members[0].id}/purchases", data={"amount": "10.50", "idempotency_key": "b"})
    assert _members()[0].points_balance == 41
    assert re.search(
        r"Purchase recorded: 21 points earned", client.get(f"/members/{members[0].id}").get_data(as_text=True)
    )


def test_odd_input_gets_an_answer_not_a_crash(client, shop_a):
    log_in(client, "owner-a@example.com")
    _, members = _add(client)
    assert client.get("/members/?page=99999999999999999999").status_code == 200
    assert client.get("/members/?q=a%00b").status_code == 400
    found = client.get("/members/?q=８０００").get_data(as_text=True)  # full-width digits from a phone keyboard
    assert "+8613800138000" in found
    page = client.post(
        f"/members/{members[0].id}/purchases",
        data={"amount": "10", "occurred_at": "0001-01-01T00:00", "idempotency_key": "z"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Enter a time within the last year." in page and _members()[0].visit_count == 0


def test_a_withdrawn_reward_cannot_be_redeemed(client, shop_a):
    log_in(client, "owner-a@example.com")
    _, members = _add(client)
    client.post(f"/members/{members[0].id}/adjustments", data={"points": "500", "reason": "gift"})
    with unscoped():
        db.add(Reward(tenant_id=shop_a.tenant.id, name="Old mug", points_cost=100, active=False))
        db.commit()
        reward_id = db.scalar(select(Reward.id))
    page = client.post(
        f"/members/{members[0].id}/redemptions",
        data={"reward_id": reward_id, "idempotency_key": "m"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "This reward is no longer offered." in page and _members()[0].points_balance == 500
