"""POST/GET/PATCH /api/v1/members: JSON in and out, field errors, one member per phone."""

import pytest
from sqlalchemy import select, update

from mcrm.db import db
from mcrm.members.models import Member
from tenants.isolation import unscoped
from tenants.models import Tenant
from tests.api.conftest import read


def test_create_a_member_with_every_field(api_a):
    response = api_a.post(
        "/members",
        json={
            "phone": "138 0013 8000",
            "name": "王芳",
            "gender": "female",
            "birthday": "农历08-15",
            "tags": ["VIP", "火锅"],
            "notes": "Likes the window seat",
        },
    )
    assert response.status_code == 201
    member = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/members/{member['id']}")
    assert member | {"id": 0, "joined_at": ""} == {
        "id": 0,
        "phone": "+8613800138000",
        "name": "王芳",
        "gender": "female",
        "birthday": "农历08-15",
        "tags": ["VIP", "火锅"],
        "notes": "Likes the window seat",
        "joined_at": "",
        "source": "api",
        "points_balance": 0,
        "total_spent": "0.00",
        "visit_count": 0,
        "last_visit_at": None,
        "opted_out": False,
    }
    ((source, evidence),) = read(select(Member.consent_source, Member.consent_evidence))
    assert source.value == "api" and evidence == f"api:token:{api_a.token[:12]}"


@pytest.mark.parametrize("birthday, shown", [("1990-08-15", "1990-08-15"), ("08-15", "08-15"), ("", None)])
def test_birthdays_as_people_write_them(api_a, birthday, shown):
    assert api_a.new_member(birthday=birthday)["birthday"] == shown


def test_the_welcome_bonus_is_in_the_new_members_balance(api_a, shop_a):
    with unscoped():
        db.execute(update(Tenant).where(Tenant.id == shop_a.tenant.id).values(welcome_bonus=50))
        db.commit()
    db.remove()
    assert api_a.new_member()["points_balance"] == 50


@pytest.mark.parametrize("same_phone", ["+86 138-0013-8000", "008613800138000", "13800138000"])
def test_a_phone_that_already_is_a_member_answers_409_with_the_members_id(api_a, same_phone):
    first = api_a.new_member("138 0013 8000")
    response = api_a.post("/members", json={"phone": same_phone, "name": "Someone else"})
    assert response.status_code == 409
    assert response.get_json()["member_id"] == first["id"] and "already a member" in response.get_json()["error"]
    assert len(read(select(Member.id))) == 1


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"phone": "12345"}, "phone", "12345 is not a valid mobile number"),
        ({}, "phone", "required"),
        ({"phone": ""}, "phone", "cannot be empty"),
        ({"phone": 13800138000}, "phone", "Send text"),
        ({"phone": "13800138000", "birthday": "1990-02-30"}, "birthday", "1990-08-15, 08-15, or 农历08-15"),
        ({"phone": "13800138000", "gender": "other"}, "gender", "unknown"),
        ({"phone": "13800138000", "tags": "VIP"}, "tags", "list"),
        ({"phone": "13800138000", "tags": ["x" * 31]}, "tags.0", "At most 30 characters"),
        ({"phone": "13800138000", "name": "a\x00b"}, "name", "not allowed"),
        ({"phone": "13800138000", "nmae": "typo"}, "nmae", "Unknown field"),
    ],
)
def test_invalid_fields_answer_422_with_a_message_per_field(api_a, body, field, message):
    response = api_a.post("/members", json=body)
    assert response.status_code == 422
    assert message in response.get_json()["fields"][field]
    assert read(select(Member.id)) == []


@pytest.mark.parametrize(
    "kwargs, status",
    [
        ({"data": "phone=13800138000"}, 415),
        ({"data": "{not json", "content_type": "application/json"}, 400),
        ({"data": "[]", "content_type": "application/json"}, 422),
        ({"data": '"13800138000"', "content_type": "application/json"}, 422),
        ({"data": "", "content_type": "application/json"}, 400),
        ({"json": {"phone": "13800138000", "notes": "x" * 70_000}}, 413),
    ],
)
def test_bodies_that_are_not_json_objects_answer_in_json(api_a, kwargs, status):
    response = api_a.post("/members", **kwargs)
    assert response.status_code == status and response.is_json and response.get_json()["error"]


def test_find_a_member_by_phone_in_any_format(api_a):
    member = api_a.new_member("13800138000")
    api_a.new_member("13900139000")
    found = api_a.get("/members", query_string={"phone": "+86 138 0013 8000"}).get_json()
    assert [m["id"] for m in found["members"]] == [member["id"]] and found["total"] == 1
    assert api_a.get("/members", query_string={"phone": "13700137000"}).get_json()["members"] == []


def test_finding_by_an_invalid_phone_answers_422(api_a):
    response = api_a.get("/members", query_string={"phone": "12345"})
    assert response.status_code == 422 and "phone" in response.get_json()["fields"]


def test_the_member_list_is_paginated_newest_first(api_a):
    ids = [api_a.new_member(f"1380013800{i}")["id"] for i in range(5)]
    first = api_a.get("/members", query_string={"per_page": 2}).get_json()
    third = api_a.get("/members", query_string={"per_page": 2, "page": 3}).get_json()
    assert [m["id"] for m in first["members"]] == ids[::-1][:2] and first["total"] == 5
    assert [m["id"] for m in third["members"]] == [ids[0]]
    response = api_a.get("/members", query_string={"per_page": 101})
    assert response.status_code == 422 and "per_page" in response.get_json()["fields"]
    # A NUL in a query is a field error like any other (422, as documented), not a bare 400.
    response = api_a.get("/members", query_string={"phone": "138\x00"})
    assert response.status_code == 422 and "phone" in response.get_json()["fields"]


def test_get_a_member_with_balance_and_opt_out(api_a):
    member = api_a.new_member()
    with unscoped():
        db.execute(update(Member).values(opted_out_at=Member.joined_at))
        db.commit()
    db.remove()
    shown = api_a.get(f"/members/{member['id']}").get_json()
    assert shown["opted_out"] is True and shown["points_balance"] == 0 and shown["phone"] == "+8613800138000"


def test_an_unknown_member_answers_404_in_json(api_a):
    for url in ("/members/999", "/members/0", "/members/abc", "/members/99999999999999999999"):
        response = api_a.get(url)
        assert response.status_code == 404 and response.is_json, url


def test_unknown_addresses_and_methods_answer_in_json(api_a):
    member = api_a.new_member()
    missing = api_a.get("/nothing-here")
    assert missing.status_code == 404 and missing.is_json
    wrong = api_a.open("DELETE", f"/members/{member['id']}")
    assert wrong.status_code == 405 and wrong.is_json
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "PATCH"}
    assert api_a.open("PUT", "/members").headers["Allow"] == "GET, POST"


def test_patch_changes_only_the_fields_sent(api_a):
    member = api_a.new_member(name="Li", birthday="1990-08-15", tags=["VIP"], notes="n")
    response = api_a.patch(f"/members/{member['id']}", json={"name": "Li Lei", "tags": ["VIP", "new"]})
    assert response.status_code == 200
    changed = response.get_json()
    assert changed == member | {"name": "Li Lei", "tags": ["VIP", "new"]}
    assert api_a.get(f"/members/{member['id']}").get_json() == changed


def test_patch_clears_the_birthday_with_null_and_changes_the_phone(api_a):
    member = api_a.new_member(birthday="08-15")
    changed = api_a.patch(f"/members/{member['id']}", json={"birthday": None, "phone": "139 0013 9000"}).get_json()
    assert changed["birthday"] is None and changed["phone"] == "+8613900139000"
    assert api_a.get("/members", query_string={"phone": "13900139000"}).get_json()["members"][0]["id"] == member["id"]


def test_patch_to_another_members_phone_answers_409(api_a):
    first, second = api_a.new_member("13800138000"), api_a.new_member("13900139000")
    response = api_a.patch(f"/members/{second['id']}", json={"phone": "13800138000", "name": "X"})
    assert response.status_code == 409 and response.get_json()["member_id"] == first["id"]
    assert api_a.get(f"/members/{second['id']}").get_json() == second


@pytest.mark.parametrize(
    "body, field",
    [({"phone": "12345"}, "phone"), ({"name": None}, "name"), ({"id": 5}, "id"), ({"tags": [""]}, "tags.0")],
)
def test_patch_with_invalid_fields_answers_422_and_changes_nothing(api_a, body, field):
    member = api_a.new_member()
    response = api_a.patch(f"/members/{member['id']}", json=body)
    assert response.status_code == 422 and field in response.get_json()["fields"]
    assert api_a.get(f"/members/{member['id']}").get_json() == member


def test_an_unexpected_error_answers_500_in_json_and_rolls_back(app, api_a, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handler answers

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("mcrm.api.views.MemberOut.of", broken)
    response = api_a.post("/members", json={"phone": "13800138000"})
    assert response.status_code == 500 and response.is_json and "try again" in response.get_json()["error"]
    assert read(select(Member.id)) == []
