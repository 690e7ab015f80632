"""The inbox in a real browser: a customer complains from the phone simulator, the owner sees it waiting in the
Inbox, answers it by SMS with the live counter, and finds it answered; then the same on the WAP page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_first_day import browser, server  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

COMPLAINT = "汤是凉的 等了四十分钟"
ANSWER = "非常抱歉！下次来店赠送一份热汤。"  # 16 characters


def test_inbox(server, browser, shop_a, output_dir, request):  # noqa: F811
    shots = output_dir / "browser" / request.node.callspec.id
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(locale="en-US", viewport={"width": 1200, "height": 900})
    page.goto(f"{server}/login")
    page.fill("#login", "owner-a@example.com")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("#nav-inbox")).to_have_text("Inbox")

    # A customer complains by SMS; the shop thanks them at once.
    page.goto(f"{server}/messages/simulator")
    page.fill("#phone", "138 0013 8000")
    page.fill("#text", f"TS {COMPLAINT}")
    page.click("main button[type=submit]")
    expect(page.locator("#conversation tr.outbound")).to_contain_text(
        "Thank you. Shop A has received your message and will reply soon."
    )

    # The Inbox link counts it; the list shows it open and waiting.
    expect(page.locator("#nav-inbox .tag")).to_have_text("1")
    page.click("#nav-inbox")
    row = page.locator("#inbox tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Complaint")
    expect(row).to_contain_text(COMPLAINT)
    expect(row).to_contain_text("+8613800138000")
    expect(row).to_contain_text("waiting 1 minute")
    expect(page.locator("#tabs")).to_contain_text("Open (1)")
    page.screenshot(path=shots / "inbox-1-open-en.png", full_page=True)

    # The owner answers from the thread, the counter counting as they type.
    row.locator(f"a:has-text('{COMPLAINT}')").click()
    counter = page.locator("[data-counter-for='sms-body']")
    expect(counter).to_have_text("8 characters · UCS-2 · 1 part · 1 credit")
    page.locator("#sms-body").press_sequentially(ANSWER)
    expect(counter).to_have_text("24 characters · UCS-2 · 1 part · 1 credit")
    page.screenshot(path=shots / "inbox-2-answering-en.png", full_page=True)
    page.click("#answer button[type=submit]")
    expect(page.locator(".alert-success")).to_have_text("Answer queued: 1 credit used.")
    expect(page.locator("#status")).to_have_text("Answered")
    expect(page.locator("#thread tr.answer")).to_contain_text(ANSWER)
    expect(page.locator("#thread tr.answer")).to_contain_text(re.compile("Queued|Sending|Sent|Delivered"))
    expect(page.locator("#nav-inbox .tag")).to_have_count(0)
    page.screenshot(path=shots / "inbox-3-answered-en.png", full_page=True)

    # Nothing waits any more; the Answered tab has it, with the time to the first answer.
    page.click("#nav-inbox")
    expect(page.locator("#inbox tbody")).to_contain_text("Nothing waiting.")
    page.click("#tabs a:has-text('Answered')")
    expect(page.locator("#inbox tbody tr")).to_contain_text("answered after 1 minute")
    expect(page.locator("#answer-times")).to_contain_text("Last 30 days: 1 first answer")
    page.screenshot(path=shots / "inbox-4-answered-tab-en.png", full_page=True)

    # The answer is in the customer's conversation on the simulator.
    page.goto(f"{server}/messages/simulator?phone=%2B8613800138000")
    expect(page.locator("#conversation")).to_contain_text(ANSWER)

    # The same inbox on the WAP page, in Chinese for the screenshot.
    page.select_option("#lang-select", "zh_CN")
    page.click(".language-switch button")
    page.goto(f"{server}/inbox/?status=all")
    page.screenshot(path=shots / "inbox-5-all-zh.png", full_page=True)
    wap = browser.new_page(locale="en-US", viewport={"width": 360, "height": 640})
    wap.goto(f"{server}/m/login")
    wap.fill("#login", "staff-a@example.com")
    wap.fill("#password", PASSWORD)
    wap.click("button[type=submit]")
    wap.click("a[href='/m/inbox']")
    wap.click("a[href='/m/inbox?status=answered']")
    wap.click(f"a:has-text('{COMPLAINT}')")
    expect(wap.locator("main")).to_contain_text(ANSWER)
    wap.screenshot(path=shots / "inbox-6-wap-thread.png", full_page=True)
