"""Logging in and out, as a merchant sees it."""

import datetime as dt

import pytest

from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import TenantStatus, User
from tests.conftest import PASSWORD, log_in


def test_owner_logs_in_with_email_and_lands_on_dashboard(client, shop_a, shop_b):
    response = log_in(client, "Owner-A@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Shop A" in page and "Shop B" not in page


def test_staff_logs_in_with_mobile_number_in_any_format(app, client):
    from tenants.services import create_tenant

    with app.app_context():
        create_tenant(name="Phone Shop", owner_name="Li", owner_login="+86 138-0013-8000", owner_password=PASSWORD)
        db.commit()
    assert log_in(client, "008613800138000").status_code == 302


def test_unknown_account_and_wrong_password_get_the_same_answer(client, shop_a):
    unknown = log_in(client, "nobody@example.com").get_data(as_text=True)
    wrong = log_in(client, "owner-a@example.com", "Wrong-Horse-Battery").get_data(as_text=True)
    assert "Wrong login or password." in unknown and "Wrong login or password." in wrong
    strip = lambda page: page.replace("nobody@example.com", "X").replace("owner-a@example.com", "X")  # noqa: E731
    assert strip(unknown) == strip(wrong)


def test_eleventh_failure_in_fifteen_minutes_answers_429(client, shop_a):
    for _ in range(10):
        assert log_in(client, "owner-a@example.com", "Wrong-Horse-Battery").status_code == 200
    blocked = log_in(client, "owner-a@example.com", PASSWORD)
    assert blocked.status_code == 429
    assert "Too many failed logins" in blocked.get_data(as_text=True)
    # Another account from the same address is not locked by these failures.
    assert log_in(client, "owner-b@example.com").status_code in (200, 302)


def test_successful_logins_are_not_counted_as_failures(client, shop_a):
    for _ in range(12):
        assert log_in(client, "owner-a@example.com").status_code == 302
        client.post("/logout")


def test_suspended_shop_cannot_log_in_and_is_logged_out(client, shop_a, shop_b):
    assert log_in(client, "staff-a@example.com").status_code == 302
    with unscoped():
        shop_a.tenant.status = TenantStatus.SUSPENDED
        db.merge(shop_a.tenant)
        db.commit()
    assert client.get("/").status_code == 302  # the open session ends
    page = log_in(client, "staff-a@example.com").get_data(as_text=True)
    assert "This shop is suspended" in page
    assert log_in(client, "staff-b@example.com").status_code == 302


def test_logout_ends_other_sessions_too(app, shop_a):
    phone, desk = app.test_client(), app.test_client()
    log_in(phone, "owner-a@example.com", remember="y")
    log_in(desk, "owner-a@example.com")
    assert phone.get("/").status_code == 200
    desk.post("/logout")
    assert desk.get("/").status_code == 302
    phone.delete_cookie("session")  # only the remember-me cookie is left on the phone
    assert phone.get("/").status_code == 302


def test_password_change_ends_other_sessions_and_keeps_this_one(app, shop_a):
    other, this = app.test_client(), app.test_client()
    log_in(other, "owner-a@example.com")
    log_in(this, "owner-a@example.com")
    response = this.post(
        "/account/password",
        data={"current": PASSWORD, "new": "Tea-Kettle-Lantern-9", "confirm": "Tea-Kettle-Lantern-9"},
    )
    assert response.status_code == 302
    assert this.get("/").status_code == 200
    assert other.get("/").status_code == 302
    this.post("/logout")
    assert log_in(this, "owner-a@example.com", "Tea-Kettle-Lantern-9").status_code == 302


def test_password_change_refuses_a_common_password(client, shop_a):
    log_in(client, "owner-a@example.com")
    page = client.post("/account/password", data={"current": PASSWORD, "new": "password1", "confirm": "password1"})
    assert "too common" in page.get_data(as_text=True)
    with unscoped():
        db.expunge_all()
        assert db.get(User, shop_a.owner.id).session_version == 1


def test_cookies_are_httponly_samesite_and_remember_me_lasts_30_days(client, shop_a):
    response = log_in(client, "owner-a@example.com", remember="y")
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
    expires = client.get_cookie("remember_token").expires
    assert expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=30, minutes=1)


def test_next_parameter_cannot_send_the_user_elsewhere(client, shop_a):
    response = client.post(
        "/login?next=https://evil.example/", data={"login": "owner-a@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("path", ["/", "/staff/", "/settings/", "/m/"])
def test_pages_need_a_login(client, path):
    assert client.get(path).status_code == 302


def test_portal_and_wap_logins_share_one_failure_budget(client, shop_a):
    for attempt in range(10):
        path = "/login" if attempt % 2 else "/m/login"
        assert log_in(client, "owner-a@example.com", "Wrong-Horse-Battery", path=path).status_code == 200
    assert log_in(client, "owner-a@example.com", path="/m/login").status_code == 429
    assert log_in(client, "owner-a@example.com", path="/login").status_code == 429


def test_wrong_method_gets_a_translated_page(client):
    response = client.get("/logout", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 405 and "不能以这种方式打开此页面" in response.get_data(as_text=True)
