"""Purchases, redemptions and the ledger through the API; idempotent retries; 409 on a short balance."""

import pytest
from sqlalchemy import func, select, update

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.points.models import LedgerEntry, Purchase, Reward
from tenants.isolation import unscoped
from tenants.models import Tenant
from tests.api.conftest import read


@pytest.fixture
def member(api_a):
    return api_a.new_member()


def _buy(api, member, **body):
    return api.post(f"/members/{member['id']}/purchases", json=body)


def _redeem(api, member, **body):
    return api.post(f"/members/{member['id']}/redemptions", json=body)


def _count(model):
    return read(select(func.count()).select_from(model))[0][0]


def test_a_purchase_earns_points_by_the_shops_rule(api_a, shop_a, member):
    with unscoped():
        db.execute(update(Tenant).where(Tenant.id == shop_a.tenant.id).values(points_per_unit=2))
        db.commit()
    db.remove()
    response = _buy(api_a, member, amount="88.50")
    assert response.status_code == 201
    body = response.get_json()
    assert body | {"purchase_id": 0} == {
        "purchase_id": 0,
        "points_earned": 177,
        "points_balance": 177,
        "replayed": False,
    }
    shown = api_a.get(f"/members/{member['id']}").get_json()
    assert shown["points_balance"] == 177 and shown["total_spent"] == "88.50" and shown["visit_count"] == 1
    ((amount, channel),) = read(select(Purchase.amount, Purchase.channel).where(Purchase.id == body["purchase_id"]))
    assert str(amount) == "88.50" and channel.value == "api"


def test_the_amount_may_be_a_number_and_the_time_is_kept(api_a, member):
    response = _buy(api_a, member, amount=20, occurred_at="2024-05-01T12:30:00+08:00")
    assert response.status_code == 201 and response.get_json()["points_earned"] == 20
    assert api_a.get(f"/members/{member['id']}").get_json()["last_visit_at"].startswith("2024-05-01T04:30:00")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"amount": "12.345"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": True}, "amount"),
        ({}, "amount"),
        ({"amount": 10, "occurred_at": "2024-05-01T12:30:00"}, "occurred_at"),
        ({"amount": 10, "occurred_at": "yesterday"}, "occurred_at"),
        ({"amount": 10, "occurred_at": "0001-01-01T00:00:00+01:00"}, "occurred_at"),
        ({"amount": 10, "idempotency_key": ""}, "idempotency_key"),
        ({"amount": 10, "points": 5}, "points"),
    ],
)
def test_invalid_purchases_answer_422_and_book_nothing(api_a, member, body, field):
    response = _buy(api_a, member, **body)
    assert response.status_code == 422 and field in response.get_json()["fields"]
    assert _count(Purchase) == 0


def test_a_purchase_in_the_future_is_refused(api_a, member):
    response = _buy(api_a, member, amount=10, occurred_at="2999-01-01T00:00:00Z")
    assert response.status_code == 422 and "future" in response.get_json()["error"]
    assert _count(Purchase) == 0


def test_an_implausibly_large_purchase_is_refused_not_a_crash(api_a, member):
    response = _buy(api_a, member, amount="9999999999.99")
    assert response.status_code == 422 and "at most 1,000,000" in response.get_json()["fields"]["amount"]
    assert _count(Purchase) == 0 and api_a.get(f"/members/{member['id']}").get_json()["points_balance"] == 0


def test_a_retried_purchase_takes_effect_once_and_answers_with_the_first_result(api_a, member):
    first = _buy(api_a, member, amount="30", idempotency_key="till-1:receipt-77")
    _buy(api_a, member, amount="5")
    again = _buy(api_a, member, amount="30", idempotency_key="till-1:receipt-77")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json() | {"replayed": True}
    assert again.get_json()["points_balance"] == 30  # the balance the first request left, not today's 35
    assert _count(Purchase) == 2


def test_an_idempotency_key_reused_for_another_request_answers_409(api_a, member):
    other = api_a.new_member("13900139000")
    _buy(api_a, member, amount="30", idempotency_key="k1")
    for response in (
        _buy(api_a, member, amount="31", idempotency_key="k1"),
        _buy(api_a, other, amount="30", idempotency_key="k1"),
        _redeem(api_a, member, points=1, idempotency_key="k1"),
    ):
        assert response.status_code == 409 and "idempotency key" in response.get_json()["error"]
    assert _count(Purchase) == 1 and _count(LedgerEntry) == 1


def test_redeem_points(api_a, member):
    _buy(api_a, member, amount="300")
    response = _redeem(api_a, member, points=100, reason="Free drink")
    assert response.status_code == 201
    body = response.get_json()
    assert body | {"entry_id": 0} == {"entry_id": 0, "points": 100, "points_balance": 200, "replayed": False}
    ((note,),) = read(select(LedgerEntry.note).where(LedgerEntry.id == body["entry_id"]))
    assert note == "Free drink"


def test_a_redemption_without_a_reason_names_the_till(api_a, member):
    _buy(api_a, member, amount="300")
    entry_id = _redeem(api_a, member, points=100).get_json()["entry_id"]
    assert read(select(LedgerEntry.note).where(LedgerEntry.id == entry_id)) == [("Front counter",)]


def test_a_short_balance_answers_409_and_changes_nothing(api_a, member):
    _buy(api_a, member, amount="50")
    response = _redeem(api_a, member, points=51, reason="Too much")
    assert response.status_code == 409
    assert response.get_json()["points_balance"] == 50 and "balance is 50" in response.get_json()["error"]
    assert _count(LedgerEntry) == 1 and api_a.get(f"/members/{member['id']}").get_json()["points_balance"] == 50


def test_a_retried_redemption_takes_effect_once(api_a, member):
    _buy(api_a, member, amount="300")
    first = _redeem(api_a, member, points=100, idempotency_key="r-1")
    again = _redeem(api_a, member, points=100, idempotency_key="r-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json() | {"replayed": True}
    assert api_a.get(f"/members/{member['id']}").get_json()["points_balance"] == 200


def test_redeem_a_reward_by_its_id(api_a, shop_a, shop_b, member):
    with unscoped():
        drink = Reward(tenant_id=shop_a.tenant.id, name="Free drink", points_cost=80)
        retired = Reward(tenant_id=shop_a.tenant.id, name="Old", points_cost=10, active=False)
        elsewhere = Reward(tenant_id=shop_b.tenant.id, name="B's", points_cost=10)
        db.add_all([drink, retired, elsewhere])
        db.commit()
        ids = drink.id, retired.id, elsewhere.id
    db.remove()
    assert api_a.get("/rewards").get_json() == {"rewards": [{"id": ids[0], "name": "Free drink", "points_cost": 80}]}
    _buy(api_a, member, amount="100")
    response = _redeem(api_a, member, reward_id=ids[0])
    assert response.status_code == 201 and response.get_json()["points"] == 80
    for reward_id in ids[1:]:
        refused = _redeem(api_a, member, reward_id=reward_id)
        assert refused.status_code == 422 and "reward_id" in refused.get_json()["fields"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "points"),
        ({"points": 5, "reward_id": 1}, "points"),
        ({"points": 0}, "points"),
        ({"points": 1.5}, "points"),
        ({"points": 2**31}, "points"),
        ({"points": 5, "reason": "x" * 201}, "reason"),
    ],
)
def test_invalid_redemptions_answer_422(api_a, member, body, field):
    _buy(api_a, member, amount="100")
    response = _redeem(api_a, member, **body)
    assert response.status_code == 422 and field in response.get_json()["fields"]
    assert _count(LedgerEntry) == 1


def test_the_ledger_lists_entries_newest_first_with_pages(api_a, member):
    purchase_id = _buy(api_a, member, amount="100").get_json()["purchase_id"]
    _redeem(api_a, member, points=30, reason="Cake")
    _buy(api_a, member, amount="5")
    entries = api_a.get(f"/members/{member['id']}/ledger").get_json()
    assert entries["total"] == 3
    assert [(e["points"], e["balance_after"], e["reason"]) for e in entries["entries"]] == [
        (5, 75, "purchase"),
        (-30, 70, "redemption"),
        (100, 100, "purchase"),
    ]
    assert entries["entries"][2]["purchase_id"] == purchase_id and entries["entries"][1]["note"] == "Cake"
    second = api_a.get(f"/members/{member['id']}/ledger", query_string={"page": 2, "per_page": 2}).get_json()
    assert [e["points"] for e in second["entries"]] == [100]


def test_points_requests_for_an_unknown_member_answer_404(api_a):
    assert _buy(api_a, {"id": 999}, amount=10).status_code == 404
    assert _redeem(api_a, {"id": 999}, points=1).status_code == 404
    assert api_a.get("/members/999/ledger").status_code == 404
    assert read(select(Member.id)) == []
