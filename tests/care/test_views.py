"""The greetings pages: defaults for a new shop (off), switching on and off, editing with clear refusals,
adding a holiday from the country's list and a special day of the shop's own, deleting, permissions and
isolation. The views' clock is pinned to NOW (10:00 in Shanghai on 24 November 2026)."""

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from mcrm.care import views
from mcrm.care.models import GreetingKind, GreetingRule, GreetingRun, GreetingRunStatus
from mcrm.db import db
from tenants.isolation import scoped_to, unscoped
from tests.conftest import log_in
from tests.promotions.delivery import add_member

NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
SPRING_FESTIVAL = "Chinese New Year (Spring Festival)"
DRAGON_BOAT = "Dragon Boat Festival"
EDITED = ("template", "send_hour", "days_before", "gift_points", "enabled")


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch):
    monkeypatch.setattr(views, "utcnow", lambda: NOW)


def _rules(app, shop) -> list[GreetingRule]:
    with app.app_context(), unscoped():
        rules = db.scalars(
            select(GreetingRule).where(GreetingRule.tenant_id == shop.tenant.id).order_by(GreetingRule.id)
        )
        return list(rules)


def _rule(app, shop, kind: GreetingKind, key: str | None = None) -> GreetingRule:
    return next(r for r in _rules(app, shop) if r.kind == kind and (key is None or r.holiday_key == key))


def _change(app, rule_id: int, **values) -> None:
    with app.app_context(), unscoped():
        db.execute(update(GreetingRule).where(GreetingRule.id == rule_id).values(**values))
        db.commit()


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, f"#{element_id} is not on the page"
    return match.group(1).strip()


def _row(html: str, rule_id: int) -> str:
    match = re.search(rf'<tr data-rule-id="{rule_id}">(.*?)</tr>', html, re.S)
    assert match, f"rule {rule_id} is not listed"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def _form(rule: GreetingRule, **changes) -> dict:
    data = {
        "name": rule.name,
        "template": rule.template,
        "send_hour": rule.send_hour,
        "gift_points": rule.gift_points,
        "days_before": rule.days_before,
    }
    if rule.enabled:
        data["enabled"] = "y"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _open_greetings(client) -> None:
    """The list: it makes sure the shop has its default rules."""
    assert client.get("/greetings/").status_code == 200


def _fields(rule: GreetingRule, *names: str) -> tuple:
    return tuple(getattr(rule, name) for name in names)


def test_a_new_shop_has_its_greetings_ready_and_off(client, app, shop_a, shop_b):
    log_in(client, "owner-a@example.com")
    response = client.get("/greetings/")
    assert response.status_code == 200
    rules = _rules(app, shop_a)
    kinds = {rule.kind for rule in rules}
    assert {GreetingKind.BIRTHDAY, GreetingKind.ANNIVERSARY, GreetingKind.HOLIDAY} <= kinds
    assert {r.holiday_key for r in rules if r.kind == GreetingKind.HOLIDAY} >= {SPRING_FESTIVAL, "Mid-Autumn Festival"}
    assert not any(rule.enabled for rule in rules)
    html = response.text
    for heading in ("Birthday", "Membership anniversary", "Holidays & festivals", "Special days"):
        assert heading in html
    birthday = _rule(app, shop_a, GreetingKind.BIRTHDAY)
    row = _row(html, birthday.id)
    assert "Off" in row and "Switch on" in row
    assert "on the day at 10:00" in row or "before at" in row
    assert "members in the next 7 days" in row
    spring = _rule(app, shop_a, GreetingKind.HOLIDAY, SPRING_FESTIVAL)
    assert f"2027-02-06 at {spring.send_hour:02d}:00" in _row(html, spring.id)

    # Opening the page again adds nothing; the other shop's rules are never listed.
    html = client.get("/greetings/").text
    assert len(_rules(app, shop_a)) == len(rules)
    assert not any(f'data-rule-id="{rule.id}"' in html for rule in _rules(app, shop_b))


def test_switch_a_greeting_on_and_off(client, app, shop_a):
    log_in(client, "owner-a@example.com")
    _open_greetings(client)
    birthday = _rule(app, shop_a, GreetingKind.BIRTHDAY)
    _change(app, birthday.id, template="Happy birthday {name}!")

    response = client.post(f"/greetings/{birthday.id}/toggle", data={"enabled": "1"}, follow_redirects=True)
    assert "is on: it goes out by itself" in response.text
    assert _rule(app, shop_a, GreetingKind.BIRTHDAY).enabled
    assert "Switch off" in _row(response.text, birthday.id)

    response = client.post(f"/greetings/{birthday.id}/toggle", data={"enabled": "0"}, follow_redirects=True)
    assert "is off" in response.text
    assert not _rule(app, shop_a, GreetingKind.BIRTHDAY).enabled

    # A greeting without a message cannot be switched on: the owner is taken to write it.
    _change(app, birthday.id, template="")
    response = client.post(f"/greetings/{birthday.id}/toggle", data={"enabled": "1"})
    assert response.headers["Location"].endswith(f"/greetings/{birthday.id}")
    response = client.get(response.headers["Location"])
    assert "has no message yet: write it before switching it on" in response.text
    assert not _rule(app, shop_a, GreetingKind.BIRTHDAY).enabled


def test_edit_a_greeting_and_see_it_as_sent(client, app, shop_a):
    log_in(client, "owner-a@example.com")
    _open_greetings(client)
    with app.app_context(), scoped_to(shop_a.tenant.id):
        add_member(shop_a.tenant, "+8613800138001", "王芳", points_balance=120)
        db.commit()
    birthday = _rule(app, shop_a, GreetingKind.BIRTHDAY)
    template = "Happy birthday {name}! {points} points and a gift from {shop}."
    response = client.post(
        f"/greetings/{birthday.id}",
        data=_form(birthday, template=template, send_hour=9, days_before=3, gift_points=50, enabled="y"),
    )
    assert response.status_code == 302
    saved = _rule(app, shop_a, GreetingKind.BIRTHDAY)
    assert _fields(saved, *EDITED) == (template, 9, 3, 50, True)
    row = _row(client.get("/greetings/").text, birthday.id)
    assert "On" in row and "3 days before at 09:00" in row and "50 points" in row

    page = client.get(f"/greetings/{birthday.id}").text
    # The signature leads and no opt-out line follows (greetings are care, not marketing); {points} reads
    # the balance with the gift.
    assert _text(page, "preview-text") == "【Shop A】Happy birthday 王芳! 170 points and a gift from Shop A."
    assert "Asia/Shanghai" in page
    assert 'data-counter-for="template"' in page

    # Preview shows a changed text as sent and saves nothing.
    response = client.post(
        f"/greetings/{birthday.id}", data=_form(saved, template="Dear {name}, {shop} thinks of you.", preview="Preview")
    )
    assert _text(response.text, "preview-text") == "【Shop A】Dear 王芳, Shop A thinks of you."
    assert _rule(app, shop_a, GreetingKind.BIRTHDAY).template == template

    # A renamed holiday still says which day it is.
    spring = _rule(app, shop_a, GreetingKind.HOLIDAY, SPRING_FESTIVAL)
    client.post(f"/greetings/{spring.id}", data=_form(spring, name="New Year treats"))
    assert f"2027-02-06 ({SPRING_FESTIVAL}) at 10:00" in _row(client.get("/greetings/").text, spring.id)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"template": "Happy birthday {nmae}!"}, "{nmae} is not a placeholder here"),
        ({"template": "", "enabled": "y"}, "Write the message before switching the greeting on."),
        ({"send_hour": "24"}, "Not a valid choice"),
        ({"days_before": "31"}, "Number must be between 0 and 30."),
        ({"gift_points": "10001"}, "Number must be between 0 and 10000."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_edit_refuses_what_cannot_be_sent(client, app, shop_a, changes, error):
    log_in(client, "owner-a@example.com")
    _open_greetings(client)
    birthday = _rule(app, shop_a, GreetingKind.BIRTHDAY)
    before = _fields(birthday, *EDITED)
    response = client.post(f"/greetings/{birthday.id}", data=_form(birthday, **changes))
    assert response.status_code == 200
    assert error in response.text
    after = _rule(app, shop_a, GreetingKind.BIRTHDAY)
    assert _fields(after, *EDITED) == before


def test_add_a_holiday_from_the_countrys_list(client, app, shop_a):
    log_in(client, "owner-a@example.com")
    _open_greetings(client)
    client.post("/language", data={"locale": "zh_CN"})
    page = client.get("/greetings/holidays").text
    # In Chinese, with each holiday once at its next date; the defaults are marked as added.
    assert "春节" in page and "中秋节" in page and "端午节" in page
    spring = re.search(rf'<tr data-holiday="{re.escape(SPRING_FESTIVAL)}">(.*?)</tr>', page, re.S).group(1)
    assert "2027-02-06" in spring and "holiday-added" in spring
    dragon = re.search(rf'<tr data-holiday="{DRAGON_BOAT}">(.*?)</tr>', page, re.S).group(1)
    assert "2027-06-09" in dragon and "add-holiday" in dragon

    response = client.post("/greetings/holidays", data={"key": DRAGON_BOAT})
    rule = _rule(app, shop_a, GreetingKind.HOLIDAY, DRAGON_BOAT)
    assert response.headers["Location"].endswith(f"/greetings/{rule.id}")
    # Named as the page reads it; the message in the shop's language (English); off until switched on.
    assert (rule.name, rule.send_hour, rule.enabled) == ("端午节", 10, False)
    assert rule.template == "Happy Dragon Boat Festival, {name}! Warm wishes from {shop}."
    # Adding it again opens the same rule.
    again = client.post("/greetings/holidays", data={"key": DRAGON_BOAT})
    assert again.headers["Location"] == response.headers["Location"]
    assert len([r for r in _rules(app, shop_a) if r.holiday_key == DRAGON_BOAT]) == 1
    # A name that is not a holiday of the shop's country adds nothing.
    client.post("/greetings/holidays", data={"key": "Thanksgiving"})
    assert not any(r.holiday_key == "Thanksgiving" for r in _rules(app, shop_a))


def test_add_a_special_day(client, app, shop_a):
    log_in(client, "owner-a@example.com")
    page = client.get("/greetings/special-days/new").text
    assert '<option value="12">December</option>' in page and 'id="special_year"' in page
    data = {
        "name": "Shop anniversary",
        "special_month": "12",
        "special_day": "8",
        "special_year": "",
        "template": "{name}, {shop} turns 5 today: thank you!",
        "send_hour": "11",
        "gift_points": "0",
        "enabled": "y",
    }
    response = client.post("/greetings/special-days/new", data=data)
    assert response.status_code == 302
    rule = _rule(app, shop_a, GreetingKind.SPECIAL_DAY)
    saved = _fields(rule, "name", "special_month", "special_day", "special_year", "send_hour", "enabled")
    assert saved == ("Shop anniversary", 12, 8, None, 11, True)
    row = _row(client.get("/greetings/").text, rule.id)
    assert "every year on Dec 8 at 11:00" in row and "2026-12-08" in row

    # A day that does not exist, and a one-off day already past, are refused.
    response = client.post("/greetings/special-days/new", data={**data, "special_month": "2", "special_day": "30"})
    assert "That day does not exist: check the month and the day." in response.text
    response = client.post(
        "/greetings/special-days/new", data={**data, "special_year": "2026", "special_month": "11", "special_day": "1"}
    )
    assert "That day has passed" in response.text
    assert len([r for r in _rules(app, shop_a) if r.kind == GreetingKind.SPECIAL_DAY]) == 1

    # Editing it the same way: February 30 is refused there too.
    response = client.post(f"/greetings/{rule.id}", data={**data, "special_month": "2", "special_day": "30"})
    assert "That day does not exist" in response.text
    assert _rule(app, shop_a, GreetingKind.SPECIAL_DAY).special_month == 12


def test_delete_holiday_and_special_day_rules_only(client, app, shop_a):
    log_in(client, "owner-a@example.com")
    _open_greetings(client)
    spring = _rule(app, shop_a, GreetingKind.HOLIDAY, SPRING_FESTIVAL)
    with app.app_context(), unscoped():
        db.add(
            GreetingRun(
                tenant_id=shop_a.tenant.id,
                rule_id=spring.id,
                occurs_on=dt.date(2026, 2, 17),
                due_at=dt.datetime(2026, 2, 17, 2, tzinfo=dt.UTC),
                status=GreetingRunStatus.MISSED,
                error="The scheduler was down",
            )
        )
        db.commit()
    row = _row(client.get("/greetings/").text, spring.id)
    assert "2026-02-17: missed The scheduler was down" in row
    assert "The scheduler was down" in client.get(f"/greetings/{spring.id}").text

    response = client.post(f"/greetings/{spring.id}/delete", follow_redirects=True)
    assert "is deleted" in response.text
    assert not any(r.id == spring.id for r in _rules(app, shop_a))

    birthday = _rule(app, shop_a, GreetingKind.BIRTHDAY)
    assert 'id="delete-rule"' not in client.get(f"/greetings/{birthday.id}").text
    response = client.post(f"/greetings/{birthday.id}/delete", follow_redirects=True)
    assert "cannot be deleted: switch it off instead" in response.text
    assert any(r.id == birthday.id for r in _rules(app, shop_a))


def test_staff_cannot_open_greetings(client, app, shop_a):
    log_in(client, "owner-a@example.com")
    _open_greetings(client)
    rule = _rule(app, shop_a, GreetingKind.BIRTHDAY)
    client.post("/logout")
    log_in(client, "staff-a@example.com")
    for path in ("/greetings/", "/greetings/holidays", "/greetings/special-days/new", f"/greetings/{rule.id}"):
        assert client.get(path).status_code == 403, path
    for path in (f"/greetings/{rule.id}", f"/greetings/{rule.id}/toggle", f"/greetings/{rule.id}/delete"):
        assert client.post(path, data={"enabled": "1"}).status_code == 403, path
    assert not _rule(app, shop_a, GreetingKind.BIRTHDAY).enabled


def test_another_shops_rule_is_not_found(client, app, shop_a, shop_b):
    log_in(client, "owner-b@example.com")
    _open_greetings(client)
    client.post("/logout")
    log_in(client, "owner-a@example.com")
    theirs = _rule(app, shop_b, GreetingKind.HOLIDAY)
    _change(app, theirs.id, template="Theirs")
    assert client.get(f"/greetings/{theirs.id}").status_code == 404
    data = {"name": "Mine now", "template": "x", "send_hour": "10", "gift_points": "0", "enabled": "1"}
    for path in (f"/greetings/{theirs.id}", f"/greetings/{theirs.id}/toggle", f"/greetings/{theirs.id}/delete"):
        assert client.post(path, data=data).status_code == 404, path
    after = _rule(app, shop_b, GreetingKind.HOLIDAY, theirs.holiday_key)
    assert (after.name, after.enabled) == (theirs.name, False)


def test_a_coupon_offer_goes_with_coupon_in_the_message(client, app, shop_a):
    log_in(client, "owner-a@example.com")
    _open_greetings(client)
    birthday = _rule(app, shop_a, GreetingKind.BIRTHDAY)
    refused = {
        "Put {coupon} in the message where the code should go.": {"coupon_offer": "A free dessert"},
        "{coupon} needs a coupon offer": {"template": "Happy birthday {name}! Your code: {coupon}"},
    }
    for error, changes in refused.items():
        response = client.post(f"/greetings/{birthday.id}", data=_form(birthday, **changes))
        assert response.status_code == 200
        assert error in response.text
    assert _fields(_rule(app, shop_a, GreetingKind.BIRTHDAY), "coupon_offer", "coupon_valid_days") == ("", 30)

    template = "Happy birthday {name}! Show {coupon} for your gift."
    changes = {"template": template, "coupon_offer": "A free dessert", "coupon_valid_days": "14"}
    preview = client.post(f"/greetings/{birthday.id}", data=_form(birthday, preview="Preview", **changes)).text
    assert _text(preview, "preview-text") == "【Shop A】Happy birthday friend! Show KPW482931 for your gift."
    response = client.post(f"/greetings/{birthday.id}", data=_form(birthday, gift_points=50, **changes))
    assert response.status_code == 302
    saved = _rule(app, shop_a, GreetingKind.BIRTHDAY)
    assert _fields(saved, "template", "coupon_offer", "coupon_valid_days") == (template, "A free dessert", 14)
    assert "50 points · coupon: A free dessert" in _row(client.get("/greetings/").text, birthday.id)
