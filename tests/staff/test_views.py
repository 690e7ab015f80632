"""The owner manages staff; staff cannot."""

import pytest
from sqlalchemy import select

from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import Role, User
from tenants.plans import Plan
from tests.conftest import PASSWORD, log_in


@pytest.fixture
def monthly_shop_a(shop_a):
    with unscoped():
        tenant = db.merge(shop_a.tenant)
        tenant.plan = Plan.MONTHLY
        db.commit()
    return shop_a


def _user(login):
    with unscoped():
        db.expunge_all()
        return db.scalar(select(User).where(User.email == login))


def test_owner_adds_a_staff_member_who_can_then_log_in(app, client, monthly_shop_a, shop_b):
    log_in(client, "owner-a@example.com")
    response = client.post(
        "/staff/new", data={"name": "小李", "login": "13900139000", "password": PASSWORD, "role": "staff"}
    )
    assert response.status_code == 302
    assert "小李" in client.get("/staff/").get_data(as_text=True)
    assert "Staff B" not in client.get("/staff/").get_data(as_text=True)
    assert log_in(app.test_client(), "139 0013 9000").status_code == 302


def test_owner_changes_a_role_and_disables_a_user_who_is_logged_out_at_once(app, client, shop_a):
    staff_client = app.test_client()
    log_in(staff_client, "staff-a@example.com")
    log_in(client, "owner-a@example.com")
    client.post(f"/staff/{shop_a.staff.id}/edit", data={"name": "Staff A", "role": "owner", "active": "y"})
    assert _user("staff-a@example.com").role == Role.OWNER
    client.post(f"/staff/{shop_a.staff.id}/edit", data={"name": "Staff A", "role": "staff"})
    assert _user("staff-a@example.com").active is False
    assert staff_client.get("/").status_code == 302
    assert "disabled" in log_in(staff_client, "staff-a@example.com").get_data(as_text=True)


def test_owner_cannot_disable_or_demote_themselves(client, shop_a):
    log_in(client, "owner-a@example.com")
    page = client.post(f"/staff/{shop_a.owner.id}/edit", data={"name": "Owner A", "role": "staff"})
    assert "cannot change your own role" in page.get_data(as_text=True)
    assert _user("owner-a@example.com").role == Role.OWNER


def test_the_plan_limit_is_explained(client, shop_a):
    log_in(client, "owner-a@example.com")
    page = client.post(
        "/staff/new", data={"name": "X", "login": "x@example.com", "password": PASSWORD, "role": "staff"}
    ).get_data(as_text=True)
    assert "Your plan allows 2 users" in page


@pytest.mark.parametrize("path", ["/staff/", "/staff/new", "/settings/"])
def test_staff_may_not_manage_staff_or_settings(client, shop_a, path):
    log_in(client, "staff-a@example.com")
    assert client.get(path).status_code == 403
    if path != "/staff/":
        assert client.post(path, data={"name": "x", "role": "owner"}).status_code == 403


def test_staff_may_not_edit_a_colleague(client, shop_a):
    log_in(client, "staff-a@example.com")
    url = f"/staff/{shop_a.owner.id}/edit"
    assert client.post(url, data={"name": "x", "role": "staff"}).status_code == 403
    assert _user("owner-a@example.com").role == Role.OWNER


def test_staff_navigation_shows_only_what_they_may_open(client, shop_a):
    log_in(client, "staff-a@example.com")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/staff/"' not in page and 'href="/settings/"' not in page


def test_owner_resets_a_forgotten_password_and_the_old_sessions_end(app, client, shop_a):
    staff_client = app.test_client()
    log_in(staff_client, "staff-a@example.com")
    log_in(client, "owner-a@example.com")
    client.post(
        f"/staff/{shop_a.staff.id}/edit",
        data={"name": "Staff a", "role": "staff", "active": "y", "new_password": "Plum-Blossom-River-5"},
    )
    assert staff_client.get("/").status_code == 302
    assert log_in(app.test_client(), "staff-a@example.com", "Plum-Blossom-River-5").status_code == 302


def test_a_disabled_user_frees_a_seat_on_the_plan(client, shop_a):
    log_in(client, "owner-a@example.com")
    client.post(f"/staff/{shop_a.staff.id}/edit", data={"name": "Staff a", "role": "staff"})
    response = client.post(
        "/staff/new", data={"name": "New", "login": "new@example.com", "password": PASSWORD, "role": "staff"}
    )
    assert response.status_code == 302
    # Re-enabling the old one would now exceed the trial plan's two users.
    page = client.post(f"/staff/{shop_a.staff.id}/edit", data={"name": "Staff a", "role": "staff", "active": "y"})
    assert "Your plan allows 2 users" in page.get_data(as_text=True)
    assert _user("staff-a@example.com").active is False
