"""Care in a real browser: the owner switches on the birthday greeting with a gift, adds a festival from the
country's list and switches it on, then schedules a weekly reminder to their own phone for tomorrow 09:00."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from mcrm.care.calendar import holiday_date
from mcrm.care.models import GreetingKind, GreetingRule
from mcrm.db import db
from mcrm.reminders.models import Reminder, ReminderRepeat
from tenants.isolation import unscoped
from tenants.models import User
from tests.browser.test_first_day import browser, server  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

OWNER_PHONE = "+8613800138000"
BIRTHDAY = "Happy birthday {name}! {shop} gives you 50 points: see you soon."
LANTERN = "Happy Lantern Festival, {name}! Come and try our tangyuan at {shop}."
LANTERN_KEY = "Lantern Festival"
REMINDER = "Weekly stock count before opening"


def _rules(app, shop) -> dict:
    with app.app_context(), unscoped():
        rules = db.scalars(select(GreetingRule).where(GreetingRule.tenant_id == shop.tenant.id))
        return {(rule.kind, rule.holiday_key): rule for rule in rules}


def _next_lantern_festival(shop) -> dt.date:
    today = dt.datetime.now(ZoneInfo(shop.tenant.timezone)).date()
    days = (holiday_date("CN", LANTERN_KEY, year) for year in (today.year, today.year + 1))
    return next(day for day in days if day and day >= today)


def test_greetings_and_a_reminder(app, server, browser, shop_a, output_dir, request):  # noqa: F811
    shots = output_dir / "browser" / request.node.callspec.id
    shots.mkdir(parents=True, exist_ok=True)
    with app.app_context(), unscoped():
        # The owner's registered mobile: a reminder can only go to a phone.
        db.execute(update(User).where(User.id == shop_a.owner.id).values(phone=OWNER_PHONE))
        db.commit()
    page = browser.new_page(locale="en-US", viewport={"width": 1200, "height": 900})
    page.goto(f"{server}/login")
    page.fill("#login", "owner-a@example.com")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")

    # The defaults are there and off.
    page.click("nav a:has-text('Greetings')")
    birthday_row = page.locator("#rules-birthday tbody tr").first
    expect(birthday_row.locator(".rule-state")).to_have_text("Off")
    page.screenshot(path=shots / "care-1-defaults.png", full_page=True)

    # The birthday greeting: message, 09:00, 50 points, on.
    birthday_row.locator(".rule-name").click()
    page.fill("#template", "")
    page.locator("#template").press_sequentially(BIRTHDAY)
    expect(page.locator(".sms-counter")).to_contain_text("characters")
    page.select_option("#send_hour", "9")
    page.fill("#days_before", "0")
    page.fill("#gift_points", "50")
    page.check("#enabled")
    page.screenshot(path=shots / "care-2-birthday.png", full_page=True)
    page.click("#save-rule")
    expect(page.locator(".alert-success")).to_contain_text("is saved (on)")
    birthday_row = page.locator("#rules-birthday tbody tr").first
    expect(birthday_row.locator(".rule-state")).to_have_text("On")
    expect(birthday_row.locator(".rule-when")).to_have_text("on the day at 09:00")
    expect(birthday_row).to_contain_text("50 points")

    # A festival from the country's list: the Spring Festival and Mid-Autumn rules exist already.
    page.click("#add-holiday")
    expect(page.locator("tr[data-holiday='Mid-Autumn Festival'] .holiday-added")).to_be_visible()
    lantern = page.locator(f"tr[data-holiday='{LANTERN_KEY}']")
    expect(lantern.locator(".holiday-name")).to_have_text("Lantern Festival")
    page.screenshot(path=shots / "care-3-holidays.png", full_page=True)
    lantern.locator(".add-holiday").click()
    expect(page.locator(".alert-success")).to_contain_text("is added, still off")
    expect(page.locator("#name")).to_have_value("Lantern Festival")
    page.fill("#template", LANTERN)
    page.check("#enabled")
    page.click("#save-rule")
    expect(page.locator(".alert-success")).to_contain_text("is saved (on)")
    lantern_row = page.locator("#rules-holiday tbody tr", has_text="Lantern Festival")
    expect(lantern_row.locator(".rule-state")).to_have_text("On")
    expect(lantern_row.locator(".rule-when")).to_have_text(f"{_next_lantern_festival(shop_a).isoformat()} at 10:00")
    page.screenshot(path=shots / "care-4-greetings-on.png", full_page=True)

    rules = _rules(app, shop_a)
    birthday = rules[(GreetingKind.BIRTHDAY, None)]
    assert (birthday.enabled, birthday.template, birthday.send_hour, birthday.gift_points) == (True, BIRTHDAY, 9, 50)
    festival = rules[(GreetingKind.HOLIDAY, LANTERN_KEY)]
    assert (festival.enabled, festival.template, festival.send_hour) == (True, LANTERN, 10)

    # A weekly reminder to the owner's phone, from tomorrow 09:00 in the shop's time zone.
    zone = ZoneInfo(shop_a.tenant.timezone)
    tomorrow = dt.datetime.now(zone).date() + dt.timedelta(days=1)
    at = dt.datetime.combine(tomorrow, dt.time(9, 0))
    page.click("nav a:has-text('Reminders')")
    page.click("#new-reminder")
    page.fill("#text", REMINDER)
    page.fill("#at", at.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#repeat", ReminderRepeat.WEEKLY.value)
    page.check(f"input[name=recipients][value='{shop_a.owner.id}']")
    page.screenshot(path=shots / "care-5-reminder.png", full_page=True)
    page.click("#save-reminder")
    row = page.locator("#reminders tbody tr", has_text=REMINDER)
    expect(row).to_be_visible()
    expect(row.locator(".reminder-next")).to_contain_text("9:00")
    expect(row).to_contain_text(shop_a.owner.name)
    page.screenshot(path=shots / "care-6-reminders.png", full_page=True)

    with app.app_context(), unscoped():
        reminder = db.scalar(select(Reminder).where(Reminder.tenant_id == shop_a.tenant.id))
        expected = at.replace(tzinfo=zone).astimezone(dt.UTC)
        assert (reminder.text, reminder.repeat, reminder.next_at) == (REMINDER, ReminderRepeat.WEEKLY, expected)
        assert [user.id for user in reminder.recipients] == [shop_a.owner.id]
