"""A day at the counter, in a real browser: register a member on the WAP page, record a purchase,
redeem points; the owner reads it on the member page."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_first_day import browser, server  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_counter_day(server, browser, shop_a, output_dir, request):  # noqa: F811
    shots = output_dir / "browser" / request.node.callspec.id
    shots.mkdir(parents=True, exist_ok=True)
    phone = browser.new_page(locale="zh-CN", viewport={"width": 320, "height": 568}, java_script_enabled=False)
    phone.goto(f"{server}/m/login")
    phone.fill("#login", "staff-a@example.com")
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")

    # A customer who is not a member yet.
    phone.fill("#q", "13800138000")
    phone.click("button[type=submit]")
    phone.click("a[href^='/m/members/new']")
    phone.fill("#name", "王芳")
    phone.fill("#birthday", "农历0815")
    phone.click("main button[type=submit]")
    expect(phone.locator("#balance")).to_have_text("0")

    # She pays 128.80 and earns 128 points, then spends 100 of them.
    phone.fill("#buy-amount", "128.80")
    phone.click("form:has(#buy-amount) button")
    expect(phone.locator("#balance")).to_have_text("128")
    phone.fill("#redeem-points", "100")
    phone.fill("#redeem-reason", "Dessert")
    phone.click("form:has(#redeem-points) button")
    expect(phone.locator("#balance")).to_have_text("28")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 320
    phone.screenshot(path=shots / "5-wap-member.png", full_page=True)

    # Next time the cashier finds her by the last four digits.
    phone.goto(f"{server}/m/")
    phone.fill("#q", "8000")
    phone.click("button[type=submit]")
    expect(phone.locator("#balance")).to_have_text("28")

    owner = browser.new_page(locale="en-US", viewport={"width": 1200, "height": 900})
    owner.goto(f"{server}/login")
    owner.fill("#login", "owner-a@example.com")
    owner.fill("#password", PASSWORD)
    owner.click("main button[type=submit]")
    owner.click("nav a[href='/members/']")
    owner.click("text=+8613800138000")
    expect(owner.locator("#ledger")).to_contain_text("+128")
    expect(owner.locator("#ledger")).to_contain_text("-100")
    expect(owner.locator("#purchases")).to_contain_text("128.80")
    owner.screenshot(path=shots / "6-member-page.png", full_page=True)
