"""Keyword apps in a real browser: the owner makes one app of each type with the wizard, then plays customers
on the phone simulator and sees each app answer, the form's submission and the list's subscriber."""

import re

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


def _member(app, shop, phone: str, name: str) -> None:
    with app.app_context(), scoped_to(shop.tenant.id):
        create_member(db.get(Tenant, shop.tenant.id), phone=phone, name=name, source=Source.PORTAL)
        db.commit()


def _wizard(page, shots, number: int, keyword: str, name: str, kind: str, texts) -> None:
    """Walk the three steps for one app, `texts` filling step 2, with a screenshot of each step."""
    page.click("#new-app")
    page.fill("#keyword", keyword)
    page.fill("#name", name)
    page.check(f"input[name=kind][value={kind}]")
    page.screenshot(path=shots / f"apps-{number}1-{kind}-step1-en.png", full_page=True)
    page.click("#next")
    expect(page.locator("#wizard-steps [aria-current=step]")).to_have_text("2. Texts")
    texts()
    page.screenshot(path=shots / f"apps-{number}2-{kind}-step2-en.png", full_page=True)
    page.click("#next")
    expect(page.locator("#wizard-steps [aria-current=step]")).to_have_text("3. Check and switch on")
    expect(page.locator("#enabled")).to_be_checked()  # a new app is proposed on
    page.screenshot(path=shots / f"apps-{number}3-{kind}-step3-en.png", full_page=True)
    page.click("#save")
    expect(page.locator(".alert-success")).to_have_text(f"{keyword} is on: customers can text it now.")
    expect(page.locator("h1")).to_contain_text(name)


def _text(page, phone: str, body: str):
    """Text the shop from `phone` on the simulator; the shop's latest answer."""
    page.fill("#phone", phone)
    page.fill("#text", body)
    page.click("main button[type=submit]")
    conversation = page.locator("#conversation")
    expect(conversation.locator("tr.inbound").last).to_contain_text(body)
    return conversation.locator("tr.outbound").last


def test_apps(app, server, browser, shop_a, output_dir, request):  # noqa: F811
    shots = output_dir / "browser" / request.node.callspec.id
    shots.mkdir(parents=True, exist_ok=True)
    _member(app, shop_a, "13900139000", "王芳")
    _member(app, shop_a, "13900139002", "李雷")
    page = browser.new_page(locale="en-US", viewport={"width": 1200, "height": 900})
    page.goto(f"{server}/login")
    page.fill("#login", "owner-a@example.com")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.click("nav a[href='/apps/']")
    expect(page.locator("#no-apps")).to_contain_text("JG 拿铁")
    page.screenshot(path=shots / "apps-00-empty-en.png", full_page=True)

    def auto_reply():
        counter = page.locator("[data-counter-for='reply_text']")
        expect(counter).to_have_text("8 characters · UCS-2 · 1 part · 1 credit")  # the signature alone
        page.locator("#reply_text").press_sequentially("Hello {name}, welcome to {shop}")
        expect(counter).to_have_text("39 characters · UCS-2 · 1 part · 1 credit")

    _wizard(page, shots, 1, "HI", "Welcome", "auto_reply", auto_reply)
    expect(page.locator("#summary")).to_contain_text("Hello Wang Fang, welcome to Shop A")
    page.screenshot(path=shots / "apps-63-auto-reply-page-en.png", full_page=True)

    page.click("nav a[href='/apps/']")
    _wizard(page, shots, 2, "XP", "New products", "subscription", lambda: None)  # the standard texts

    def lookup():
        page.fill("#table", "拿铁 28元\n美式 22元")

    page.click("nav a[href='/apps/']")
    _wizard(page, shots, 3, "JG", "Prices", "lookup", lookup)
    expect(page.locator("#lookup-rows tbody tr")).to_have_count(2)

    def form():
        page.fill("#questions-0-prompt", "Which day?")
        page.select_option("#questions-0-answer_type", "date")
        page.fill("#questions-1-prompt", "How many people?")
        page.select_option("#questions-1-answer_type", "number")
        page.fill("#reply_text", "Thank you {name}, see you at {shop}!")

    page.click("nav a[href='/apps/']")
    _wizard(page, shots, 4, "YD", "Table booking", "form", form)
    expect(page.locator("#form-questions li")).to_have_count(2)

    page.click("nav a[href='/apps/']")
    expect(page.locator("#apps tbody tr")).to_have_count(4)
    page.screenshot(path=shots / "apps-50-list-en.png", full_page=True)

    # Customers use each app from the phone simulator (at most five answers an hour per phone: three phones).
    page.click("nav a[href='/messages/']")
    page.click("a[href='/messages/simulator']")
    expect(_text(page, "13900139000", "HI")).to_contain_text("【Shop A】Hello 王芳, welcome to Shop A")
    expect(_text(page, "13900139000", "xp")).to_contain_text("You are on the list New products. Text XP TD to leave.")
    page.screenshot(path=shots / "apps-51-simulator-auto-reply-subscription-en.png", full_page=True)
    expect(_text(page, "13900139001", "JG 拿铁")).to_contain_text("拿铁: 28元")
    expect(_text(page, "13900139001", "jg 咖啡")).to_contain_text("No match for 咖啡. Try: JG 拿铁/美式")
    page.screenshot(path=shots / "apps-52-simulator-lookup-en.png", full_page=True)
    expect(_text(page, "13900139002", "YD")).to_contain_text("Which day?")
    expect(_text(page, "13900139002", "12月24日")).to_contain_text("How many people?")
    expect(_text(page, "13900139002", "4个人")).to_contain_text("Thank you 李雷, see you at Shop A!")
    page.screenshot(path=shots / "apps-53-simulator-form-en.png", full_page=True)

    # The form's page shows the booking; the list's page its subscriber.
    page.click("nav a[href='/apps/']")
    page.click("#apps a:has-text('YD')")
    expect(page.locator("#submission-count")).to_have_text("1")
    expect(page.locator("#uses")).to_have_text("1")
    submission = page.locator("#submissions tbody tr")
    expect(submission).to_have_count(1)
    expect(submission.locator("a")).to_have_text("李雷")  # the member, linked
    expect(submission).to_contain_text("+8613900139002")
    expect(submission).to_contain_text(re.compile(r"\d{4}-12-24"))
    expect(submission.locator("td").nth(3)).to_have_text("4")
    page.screenshot(path=shots / "apps-60-form-page-en.png", full_page=True)

    page.click("nav a[href='/apps/']")
    page.click("#apps a:has-text('XP')")
    expect(page.locator("#subscriber-count")).to_have_text("1")
    expect(page.locator("#subscribers tbody tr")).to_contain_text("王芳")
    page.screenshot(path=shots / "apps-61-subscription-page-en.png", full_page=True)

    page.click("nav a[href='/apps/']")
    page.click("#apps a:has-text('JG')")
    expect(page.locator("#uses")).to_have_text("2")
    page.screenshot(path=shots / "apps-62-lookup-page-en.png", full_page=True)

    # The list in Chinese.
    page.select_option("#lang-select", "zh_CN")
    page.click(".language-switch button")
    expect(page.locator("nav")).to_contain_text("店员")
    page.goto(f"{server}/apps/")
    expect(page.locator("#apps tbody tr")).to_have_count(4)
    page.screenshot(path=shots / "apps-70-list-zh.png", full_page=True)
