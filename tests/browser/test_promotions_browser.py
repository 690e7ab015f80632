"""A promotion in a real browser: the owner builds a segment, composes, previews, schedules it for the minute
after next in the shop's time zone, and watches the progress bar fill as the server's own scheduler and
sandbox gateway send it, without reloading the page."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from mcrm.db import db
from mcrm.messaging.models import Message
from mcrm.promotions.models import Promotion
from sms_gateway.encoding import sms_shape
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.browser.test_first_day import browser, server  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD
from tests.promotions.delivery import add_member

pytestmark = pytest.mark.browser

BODY = "Hi {name}, double points today!"


def _shop(app, shop) -> str:
    """Members (two of them reached, one opted out, one below the points) and quiet hours far from now."""
    with app.app_context(), scoped_to(shop.tenant.id):
        tenant = db.get(Tenant, shop.tenant.id)
        add_member(tenant, "+8613800138001", "Li Lei", points_balance=300)
        add_member(tenant, "+8613800138002", "Han Mei", points_balance=150)
        add_member(tenant, "+8613800138003", "Gone", points_balance=500, opted_out_at=dt.datetime.now(dt.UTC))
        add_member(tenant, "+8613800138004", "Few", points_balance=10)
        # The test runs at any hour: the shop's quiet hours are put half a day away.
        local = dt.datetime.now(ZoneInfo(tenant.timezone))
        db.execute(
            update(Tenant)
            .where(Tenant.id == tenant.id)
            .values(
                quiet_start=(local + dt.timedelta(hours=11)).time().replace(second=0, microsecond=0),
                quiet_end=(local + dt.timedelta(hours=12)).time().replace(second=0, microsecond=0),
            )
        )
        db.commit()
        return tenant.timezone


def test_promotion(app, server, browser, shop_a, output_dir, request):  # noqa: F811
    shots = output_dir / "browser" / request.node.callspec.id
    shots.mkdir(parents=True, exist_ok=True)
    zone = _shop(app, shop_a)
    page = browser.new_page(locale="en-US", viewport={"width": 1200, "height": 900})
    page.goto(f"{server}/login")
    page.fill("#login", "owner-a@example.com")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")

    # The segment: points at least 100; the live count leaves the opted-out member out.
    page.goto(f"{server}/segments/new")
    page.fill("#segment-name", "Good customers")
    if page.locator(".segment-group").count() == 0:
        page.click("#add-group")
    group = page.locator(".segment-group").first
    if group.locator("select.condition-field").count() == 0:
        group.locator(".add-condition").click()
    group.locator("select.condition-field").first.select_option("points")
    group.locator("select.condition-op").first.select_option("gte")
    group.locator(".condition-value input").first.fill("100")
    expect(page.locator("#audience-count")).to_have_attribute("data-count", "2")
    page.screenshot(path=shots / "promotions-1-segment.png", full_page=True)
    page.click("#save-segment")
    expect(page.locator(".alert-success")).to_be_visible()

    # Compose and preview.
    page.goto(f"{server}/promotions/")
    page.click("#new-promotion")
    page.fill("#name", "Double points")
    page.select_option("#segment_id", label="Good customers")
    page.locator("#body").press_sequentially(BODY)
    page.click("#preview-button")
    preview = page.locator("#promotion-preview")
    expect(preview).to_be_visible()
    text = page.locator("#preview-text").inner_text()
    assert text == "【Shop A】Hi Li Lei, double points today! Reply STOP to opt out"
    parts = sms_shape(text).count
    assert page.locator("#preview-parts").inner_text() == str(parts)
    assert page.locator("#preview-encoding").inner_text() == "UCS-2"
    assert page.locator("#preview-recipients").inner_text() == "2"
    credits = parts + sms_shape(text.replace("Li Lei", "Han Mei")).count
    assert page.locator("#preview-credits").inner_text() == str(credits)
    page.screenshot(path=shots / "promotions-2-preview.png", full_page=True)

    # At the minute after next, in the shop's time zone.
    local = dt.datetime.now(ZoneInfo(zone))
    at = (local + dt.timedelta(minutes=2)).replace(second=0, microsecond=0)
    page.check("input[name=when][value=at]")
    expect(page.locator("#save-button")).to_have_text("Schedule")
    page.fill("#send_at", at.strftime("%Y-%m-%dT%H:%M"))
    page.click("#save-button")
    expect(page.locator(".alert-success")).to_contain_text("is scheduled for")
    expect(page.locator("#promotion-status")).to_have_text("Scheduled")
    with app.app_context(), unscoped():
        promotion = db.scalar(select(Promotion).where(Promotion.tenant_id == shop_a.tenant.id))
        assert promotion.next_run_at == at.astimezone(dt.UTC)
    page.screenshot(path=shots / "promotions-3-scheduled.png", full_page=True)

    # The scheduler starts it; the page shows the bar and fills it by itself.
    bar = page.locator("#promotion-progress")
    expect(bar).to_be_visible(timeout=150_000)
    expect(page.locator("#progress-delivered")).to_have_text("2", timeout=60_000)
    expect(page.locator("#progress-queued")).to_have_text("0")
    expect(page.locator("#progress-failed")).to_have_text("0")
    # The next tick (every 15 s) sees nothing left to send and marks the promotion sent; the page follows.
    expect(bar).to_have_attribute("data-done", "true", timeout=30_000)
    expect(page.locator("#promotion-status")).to_have_text("Sent")
    expect(page.locator("#promotion-actions")).to_be_hidden()  # no edit or cancel once it started
    page.screenshot(path=shots / "promotions-4-delivered.png", full_page=True)

    with app.app_context(), unscoped():
        phones = set(db.scalars(select(Message.phone).where(Message.promotion_run_id.is_not(None))))
    assert phones == {"+8613800138001", "+8613800138002"}  # never the opted-out member

    page.reload()
    expect(page.locator("#promotion-status")).to_have_text("Sent")
    expect(page.locator("#promotion-results")).to_contain_text("Too early to tell")
    page.goto(f"{server}/promotions/")
    expect(page.locator("#promotions tbody tr")).to_contain_text("Double points")
    page.screenshot(path=shots / "promotions-5-list.png", full_page=True)
