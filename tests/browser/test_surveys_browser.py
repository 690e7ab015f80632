"""A survey in a real browser: the owner builds it, opens it and sends it to a segment now; the server's own
scheduler and sandbox gateway deliver it; a customer answers on the phone simulator; the owner reads the results."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from mcrm.db import db
from mcrm.segments.models import Segment
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.browser.test_first_day import browser, server  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD
from tests.promotions.delivery import EVERYONE, add_member

pytestmark = pytest.mark.browser

FOOD = "How was the food?"
SCORE = "How likely are you to recommend us to a friend?"


def _shop(app, shop) -> None:
    """Li Lei (reached), Gone (opted out), a segment of everyone, and quiet hours far from now."""
    with app.app_context(), scoped_to(shop.tenant.id):
        tenant = db.get(Tenant, shop.tenant.id)
        add_member(tenant, "+8613800138001", "Li Lei")
        add_member(tenant, "+8613800138003", "Gone", opted_out_at=dt.datetime.now(dt.UTC))
        db.add(Segment(tenant_id=tenant.id, name="Everyone", definition=EVERYONE))
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


def test_survey(app, server, browser, shop_a, output_dir, request):  # noqa: F811
    shots = output_dir / "browser" / request.node.callspec.id
    shots.mkdir(parents=True, exist_ok=True)
    _shop(app, shop_a)
    page = browser.new_page(locale="en-US", viewport={"width": 1200, "height": 900})
    page.goto(f"{server}/login")
    page.fill("#login", "owner-a@example.com")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")

    # Build the survey: an intro, a choice and an NPS rating, a thank-you.
    page.goto(f"{server}/surveys/new")
    page.fill("#name", "Dinner")
    page.fill("#intro", "Thank you for dining with us! 2 quick questions.")
    page.fill("#questions-0-prompt", FOOD)
    page.select_option("#questions-0-kind", "single")
    page.fill("#questions-0-options", "Great\nGood\nNot good")
    page.fill("#questions-1-prompt", SCORE)
    page.select_option("#questions-1-kind", "rating10")
    page.fill("#thank_you", "Thank you, {name}! See you soon.")
    page.screenshot(path=shots / "surveys-1-builder.png", full_page=True)
    page.click("#save-survey")
    expect(page.locator(".alert-success")).to_contain_text("The survey “Dinner” is saved.")
    expect(page.locator("#survey-status")).to_have_text("Draft")
    page.click("#open-survey")
    expect(page.locator(".alert-success")).to_contain_text("“Dinner” is open: send it to a segment.")
    expect(page.locator("#survey-status")).to_have_text("Open")
    survey_id = int(re.search(r"/surveys/(\d+)/", page.url).group(1))

    # Send it to everyone, now: the preview shows the first SMS, then the promotion's page follows it.
    page.click("#send-link")
    expect(page).to_have_url(f"{server}/surveys/{survey_id}/send")
    page.select_option("#segment_id", label="Everyone")
    page.click("#preview-survey")
    expect(page.locator("#preview-text")).to_contain_text("Thank you for dining with us!")
    expect(page.locator("#preview-text")).to_contain_text("3. Not good")
    expect(page.locator("#preview-recipients")).to_have_text("1")  # not the opted-out member
    page.screenshot(path=shots / "surveys-2-send.png", full_page=True)
    page.click("#send-survey")
    expect(page).to_have_url(re.compile(rf"{re.escape(server)}/promotions/\d+$"))
    expect(page.locator(".alert-success")).to_contain_text("The survey “Dinner” goes out as this promotion")
    expect(page.locator("#promotion-progress")).to_be_visible(timeout=60_000)
    expect(page.locator("#progress-delivered")).to_have_text("1", timeout=60_000)
    expect(page.locator("#progress-failed")).to_have_text("0")
    page.screenshot(path=shots / "surveys-3-delivered.png", full_page=True)

    # Li Lei answers on the phone simulator: each answer brings the next question, then the thanks.
    page.goto(f"{server}/messages/simulator")
    conversation = page.locator("#conversation")
    for answer, reply in (("2", f"{SCORE} (0–10)"), ("9", "Thank you, Li Lei! See you soon.")):
        page.fill("#phone", "138 0013 8001")
        page.fill("#text", answer)
        page.click("main button[type=submit]")
        expect(conversation.locator("tr.outbound", has_text=reply)).to_have_count(1)
    expect(conversation.locator("tr.outbound", has_text="Thank you for dining with us!")).to_contain_text(FOOD)
    expect(conversation.locator("tr.inbound")).to_have_count(2)
    page.screenshot(path=shots / "surveys-4-simulator.png", full_page=True)

    # The results: one reached, one answered every question, NPS 100 from a single 9.
    page.goto(f"{server}/surveys/{survey_id}/results")
    expect(page.locator("#sent")).to_have_text("1")
    expect(page.locator("#responded")).to_have_text("1")
    expect(page.locator("#completed")).to_have_text("1")
    expect(page.locator("#response-rate")).to_have_text("100%")
    expect(page.locator("#completion-rate")).to_have_text("100%")
    expect(page.locator("#nps")).to_have_text("100")
    expect(page.locator(".question-result", has_text=SCORE)).to_contain_text("Net Promoter Score: 100")
    food = page.locator(".question-result", has_text=FOOD).locator("table.counts tr")
    expect(food.nth(1).locator("td")).to_have_text(["Good", "1", "100%"])
    page.screenshot(path=shots / "surveys-5-results.png", full_page=True)
