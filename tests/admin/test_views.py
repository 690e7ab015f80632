"""The platform admin's area."""

import pytest
from sqlalchemy import select

from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import Role, Tenant, TenantStatus
from tenants.services import new_user
from tests.conftest import PASSWORD, log_in


@pytest.fixture
def admin_client(app, client):
    with app.app_context(), unscoped():
        new_user(None, name="Operator", login="ops@example.com", password=PASSWORD, role=Role.ADMIN)
        db.commit()
    log_in(client, "ops@example.com")
    return client


@pytest.mark.parametrize("path", ["/admin/", "/admin/shops/new", "/admin/health"])
def test_the_admin_area_does_not_exist_for_shop_users(client, shop_a, path):
    log_in(client, "owner-a@example.com")
    assert client.get(path).status_code == 404


def test_admin_lists_creates_and_suspends_shops(admin_client, shop_a, shop_b):
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "Shop A" in page and "Shop B" in page
    response = admin_client.post(
        "/admin/shops/new",
        data={
            "name": "Karaoke Star",
            "extension": "777",
            "locale": "zh_CN",
            "owner_name": "Zhou",
            "owner_login": "zhou@example.com",
            "owner_password": PASSWORD,
        },
    )
    assert response.status_code == 302
    admin_client.post(f"/admin/shops/{shop_a.tenant.id}", data={"plan": "monthly", "action": "suspend"})
    with unscoped():
        db.expunge_all()
        karaoke = db.scalar(select(Tenant).where(Tenant.name == "Karaoke Star"))
        suspended = db.get(Tenant, shop_a.tenant.id)
    assert karaoke.sms_extension == "777"
    assert suspended.status == TenantStatus.SUSPENDED and suspended.plan.value == "monthly"
    assert "Suspended" in admin_client.get("/admin/").get_data(as_text=True)


def test_admin_home_after_login_is_the_shop_list(app, admin_client):
    assert admin_client.get("/login").headers["Location"] == "/admin/"
    assert admin_client.get("/").status_code == 404


def test_an_admin_logging_in_on_the_wap_page_lands_on_the_admin_area(app, admin_client):
    wap = app.test_client()
    assert log_in(wap, "ops@example.com", path="/m/login").headers["Location"] == "/admin/"
