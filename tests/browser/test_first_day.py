"""A merchant's first day, in a real browser: sign up, log in, switch language, add staff, WAP login."""

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.live import BIN, free_port, start, stop

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OWNER_PASSWORD = "Bamboo-Teapot-Harbour-8"
STAFF_PASSWORD = "Lantern-Kettle-Tea-7"

pytestmark = pytest.mark.browser


@pytest.fixture
def server(database_url, tmp_path):
    port = free_port()
    env = {"DATABASE_URL": database_url, "MCRM_INSTANCE_DIR": str(tmp_path / "instance"), "MCRM_ENV": "development"}
    process = start([str(BIN / "flask"), "--app", "wsgi", "serve", "--port", str(port)], env, port)
    yield f"http://127.0.0.1:{port}"
    output = stop(process)
    assert "Traceback" not in output, output


@pytest.fixture
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_first_day(server, browser, output_dir, request):
    shots = output_dir / "browser" / request.node.callspec.id
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(locale="en-US", viewport={"width": 1200, "height": 800})

    # Sign up a shop.
    page.goto(f"{server}/signup")
    page.fill("#shop_name", "Lily Salon")
    page.fill("#owner_name", "Lily")
    page.fill("#login", "lily@example.com")
    page.fill("#password", OWNER_PASSWORD)
    page.fill("#confirm", OWNER_PASSWORD)
    page.select_option("#locale", "en")
    page.click("button[type=submit]:has-text('Create my shop')")
    expect(page.locator("h1")).to_have_text("Lily Salon")
    expect(page.locator("#sms-number")).to_have_text("1069001001")
    page.screenshot(path=shots / "1-dashboard-en.png", full_page=True)

    # Log out and log in again.
    page.click("button:has-text('Log out')")
    expect(page.locator("h1")).to_have_text("Log in")
    page.fill("#login", "lily@example.com")
    page.fill("#password", OWNER_PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("Lily Salon")

    # Switch the language to Chinese.
    page.select_option("#lang-select", "zh_CN")
    page.click(".language-switch button")
    expect(page.locator("nav")).to_contain_text("店员")
    page.screenshot(path=shots / "2-dashboard-zh.png", full_page=True)

    # Add a staff member.
    page.click("nav a[href='/staff/']")
    page.click("a[href='/staff/new']")
    page.fill("#name", "小李")
    page.fill("#login", "139 0013 9000")
    page.fill("#password", STAFF_PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("table")).to_contain_text("小李")
    expect(page.locator("table")).to_contain_text("+8613900139000")
    page.screenshot(path=shots / "3-staff-zh.png", full_page=True)

    # The staff member logs in on the WAP page of a small phone.
    phone = browser.new_page(locale="zh-CN", viewport={"width": 320, "height": 568}, java_script_enabled=False)
    phone.goto(f"{server}/m/")
    phone.fill("#login", "13900139000")
    phone.fill("#password", STAFF_PASSWORD)
    phone.click("button[type=submit]")
    expect(phone.locator("header")).to_contain_text("Lily Salon")
    expect(phone.locator("header")).to_contain_text("小李")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 320
    phone.screenshot(path=shots / "4-wap-home.png", full_page=True)
