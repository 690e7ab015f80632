"""Messages in a real browser: the owner texts a member and watches the live counter, then plays a customer
on the phone simulator and sees the shop's answer go out through the sandbox gateway."""

import re
import time

import pytest
from playwright.sync_api import expect

from mcrm.db import db
from mcrm.members.models import Source
from mcrm.members.services import create_member
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.browser.test_first_day import browser, server  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

# 【Shop A】 leads every message: 8 characters, so 62 more fill one UCS-2 SMS and the 63rd starts a second.
GREETING = "王芳您好，您的会员积分已到账，欢迎下次光临本店，祝您生活愉快！"  # 31 characters


def _member(app, shop) -> int:
    with app.app_context(), scoped_to(shop.tenant.id):
        member = create_member(db.get(Tenant, shop.tenant.id), phone="13800138000", name="王芳", source=Source.PORTAL)
        db.commit()
        return member.id


def test_messaging(app, server, browser, shop_a, output_dir, request):  # noqa: F811
    shots = output_dir / "browser" / request.node.callspec.id
    shots.mkdir(parents=True, exist_ok=True)
    member_id = _member(app, shop_a)
    page = browser.new_page(locale="en-US", viewport={"width": 1200, "height": 900})
    page.goto(f"{server}/login")
    page.fill("#login", "owner-a@example.com")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{server}/members/{member_id}")

    # Before typing, the counter shows what the signature alone costs.
    counter = page.locator("[data-counter-for='sms-body']")
    expect(counter).to_have_text("8 characters · UCS-2 · 1 part · 1 credit")
    box = page.locator("#sms-body")
    box.press_sequentially(GREETING)
    expect(counter).to_have_text("39 characters · UCS-2 · 1 part · 1 credit")
    box.press_sequentially(GREETING + "再见")  # 64 typed, 72 with the signature: over the 70 of one SMS
    expect(counter).to_have_text("72 characters · UCS-2 · 2 parts · 2 credits")
    expect(counter).to_have_attribute("data-parts", "2")
    page.screenshot(path=shots / "messaging-1-counter-en.png", full_page=True)

    page.click("#send-sms button[type=submit]")
    expect(page.locator(".alert-success")).to_have_text("SMS queued: 2 credits used.")
    expect(page.locator("#member-messages")).to_contain_text(GREETING + GREETING + "再见")
    expect(page.locator("#member-messages")).to_contain_text("2 parts · UCS-2")
    page.screenshot(path=shots / "messaging-2-member-sent-en.png", full_page=True)

    # The customer texts JF; the shop's answer is queued and the sandbox gateway sends it.
    page.click("nav a[href='/messages/']")
    page.click("a[href='/messages/simulator']")
    page.fill("#phone", "139 0013 9000")
    # A text too long for a URL is counted too (posted with the CSRF token).
    page.fill("#text", "好" * 200)
    # The POST round trip can take a few seconds on a loaded machine.
    expect(page.locator("[data-counter-for='text']")).to_have_text(
        "208 characters · UCS-2 · 4 parts · 4 credits", timeout=15_000
    )
    page.fill("#text", "")
    page.locator("#text").press_sequentially("JF")
    expect(page.locator("[data-counter-for='text']")).to_have_text("10 characters · UCS-2 · 1 part · 1 credit")
    page.click("main button[type=submit]")
    conversation = page.locator("#conversation")
    expect(conversation.locator("tr.inbound")).to_contain_text("JF")
    expect(conversation.locator("tr.inbound")).to_contain_text("Received")
    reply = conversation.locator("tr.outbound")
    expect(reply).to_contain_text("【Shop A】You are not a member of Shop A yet. Text ZC and your name to join.")
    expect(reply).to_contain_text(re.compile("Queued|Sending|Sent|Delivered"))
    page.screenshot(path=shots / "messaging-3-simulator-en.png", full_page=True)
    deadline = time.monotonic() + 20
    while "Delivered" not in reply.inner_text() and time.monotonic() < deadline:
        time.sleep(0.5)
        page.click("#conversation a:has-text('Refresh')")
    expect(reply).to_contain_text("Delivered")

    # Both messages are in the shop's list, the member's phone leading to the member.
    page.click("nav a[href='/messages/']")
    rows = page.locator("#messages tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("You are not a member")
    expect(rows.nth(1)).to_contain_text("JF")
    expect(rows.nth(2).locator(f"a[href='/members/{member_id}']")).to_have_text("+8613800138000")
    page.screenshot(path=shots / "messaging-4-list-en.png", full_page=True)

    # The same pages in Chinese.
    page.select_option("#lang-select", "zh_CN")
    page.click(".language-switch button")
    expect(page.locator("nav")).to_contain_text("店员")
    page.screenshot(path=shots / "messaging-5-list-zh.png", full_page=True)
    page.goto(f"{server}/messages/simulator?phone=%2B8613900139000")
    page.screenshot(path=shots / "messaging-6-simulator-zh.png", full_page=True)
    page.goto(f"{server}/members/{member_id}")
    page.locator("#sms-body").press_sequentially("你好")
    counter = page.locator("[data-counter-for='sms-body']")
    expect(counter).to_have_attribute("data-units", "10")
    expect(counter).to_have_attribute("data-encoding", "UCS-2")
    page.screenshot(path=shots / "messaging-7-member-zh.png", full_page=True)
