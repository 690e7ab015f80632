"""The dashboard and the RFM pages in a real browser, in English and Chinese: figures, SVG charts, a class's members."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from mcrm.analytics.rfm import refresh_scores
from mcrm.db import db, utcnow
from mcrm.members.models import Source
from mcrm.members.services import create_member
from mcrm.points.models import Channel
from mcrm.points.services import record_purchase
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.browser.test_first_day import browser, server  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _seed(app, shop) -> None:
    """Six members: the n-th bought n times, a week apart, the last n days ago; then everyone is scored."""
    now = utcnow()
    with app.app_context(), scoped_to(shop.tenant.id):
        tenant = db.get(Tenant, shop.tenant.id)
        for n in range(6):
            member = create_member(tenant, phone=f"1380013800{n}", name=f"会员{n}", source=Source.PORTAL)
            for week in range(n):
                at = now - dt.timedelta(days=7 * week + n)
                record_purchase(tenant, member, Decimal(10 * (n + 1)), channel=Channel.PORTAL, occurred_at=at)
        refresh_scores(tenant, now)
        db.commit()


def test_dashboard_and_rfm_grid(app, server, browser, shop_a, output_dir, request):  # noqa: F811
    shots = output_dir / "browser" / request.node.callspec.id
    shots.mkdir(parents=True, exist_ok=True)
    _seed(app, shop_a)
    page = browser.new_page(locale="en-US", viewport={"width": 1200, "height": 900})
    page.goto(f"{server}/login")
    page.fill("#login", "owner-a@example.com")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")

    page.goto(f"{server}/?period=month")
    expect(page.locator("#new-members .tile-value")).to_have_text("6")
    for chart in ("chart-new-members", "chart-visits", "chart-revenue", "chart-rfm", "chart-messages"):
        expect(page.locator(f"#{chart} svg")).to_be_visible()
    expect(page.locator("#chart-visits svg title").first).to_have_text("Visits per day")
    page.screenshot(path=shots / "dashboard-1-en.png", full_page=True)

    page.click("#rfm-link")
    expect(page.locator("h1")).to_contain_text("Customer segments (6)")
    page.screenshot(path=shots / "dashboard-2-rfm-grid-en.png", full_page=True)
    row = page.locator("#rfm-classes tbody tr").filter(has_not=page.locator("td.count:text-is('0')")).first
    count = int(row.locator("td.count").inner_text())
    row.locator("a").click()
    expect(page.locator("#class-members tbody tr")).to_have_count(count)
    expect(page.locator("#class-members")).to_contain_text("会员")
    expect(page.locator("#export")).to_be_visible()
    page.screenshot(path=shots / "dashboard-3-rfm-class-en.png", full_page=True)

    # The same pages in Chinese.
    page.select_option("#lang-select", "zh_CN")
    page.click(".language-switch button")
    page.goto(f"{server}/?period=month")
    expect(page.locator("#new-members .tile-value")).to_have_text("6")
    expect(page.locator("#chart-rfm svg")).to_be_visible()
    page.screenshot(path=shots / "dashboard-4-zh.png", full_page=True)
    page.click("#rfm-link")
    expect(page.locator("#rfm-grid")).to_be_visible()
    page.screenshot(path=shots / "dashboard-5-rfm-grid-zh.png", full_page=True)
    page.locator("#rfm-classes tbody tr").filter(has_not=page.locator("td.count:text-is('0')")).first.locator(
        "a"
    ).click()
    expect(page.locator("#class-members tbody tr").first).to_contain_text("会员")
    page.screenshot(path=shots / "dashboard-6-rfm-class-zh.png", full_page=True)
