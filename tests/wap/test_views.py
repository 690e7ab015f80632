"""The WAP page: small, no JavaScript, works for staff at the counter."""

import re

from tests.conftest import PASSWORD, log_in


def _check_small_and_plain(html: str):
    assert len(html.encode()) < 15 * 1024
    assert "<script" not in html.lower()
    assert 'name="viewport"' in html


def test_staff_log_in_on_the_wap_page_and_see_their_home(client, shop_a, shop_b):
    login = client.get("/m/login")
    _check_small_and_plain(login.get_data(as_text=True))
    response = log_in(client, "staff-a@example.com", path="/m/login")
    assert response.headers["Location"] == "/m/"
    home = client.get("/m/").get_data(as_text=True)
    _check_small_and_plain(home)
    assert "Shop A" in home and "Staff a" in home and "Shop B" not in home
    assert re.search(r'action="/logout"', home)


def test_wap_pages_redirect_to_the_wap_login(client):
    assert client.get("/m/").headers["Location"].startswith("/m/login")


def test_wap_logout_returns_to_the_wap_login(client, shop_a):
    log_in(client, "staff-a@example.com", path="/m/login")
    assert client.post("/logout", data={"face": "wap"}).headers["Location"] == "/m/login"


def test_staff_change_their_password_on_the_wap_page(client, shop_a):
    log_in(client, "staff-a@example.com", path="/m/login")
    _check_small_and_plain(client.get("/m/password").get_data(as_text=True))
    new = "Lantern-Kettle-Tea-7"
    response = client.post("/m/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert response.headers["Location"] == "/m/"
    client.post("/logout", data={"face": "wap"})
    assert log_in(client, "staff-a@example.com", new, path="/m/login").status_code == 302
