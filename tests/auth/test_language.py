"""The page language: the user's choice, then the shop's, then the browser's."""

from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import Tenant
from tests.conftest import log_in


def test_anonymous_visitor_gets_the_browser_language_and_can_switch(client):
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en-US,en;q=0.8"}).get_data(as_text=True)
    client.post("/language?next=/login", data={"locale": "zh_CN"})
    assert "登录" in client.get("/login", headers={"Accept-Language": "en-US"}).get_data(as_text=True)


def test_shop_language_beats_the_browser_and_user_choice_beats_both(client, shop_a, shop_b):
    with unscoped():
        tenant = db.get(Tenant, shop_a.tenant.id)
        tenant.locale = "zh_CN"
        db.commit()
    log_in(client, "owner-a@example.com")
    assert "店员" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    client.post("/language", data={"locale": "en"})
    assert "Staff" in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_language_picked_on_the_login_page_survives_the_login(client, shop_a):
    client.post("/language?next=/login", data={"locale": "zh_CN"})
    log_in(client, "owner-a@example.com")  # shop A's language is English
    assert "店员" in client.get("/").get_data(as_text=True)
