"""The reminder pages, as the owner and the staff use them; another shop's reminders answer 404."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mcrm.db import db, utcnow
from mcrm.reminders.models import Reminder, ReminderRepeat, ReminderSend, ReminderSendStatus
from mcrm.reminders.ticks import run_due_reminders
from tenants.isolation import scoped_to, unscoped
from tests.conftest import log_in
from tests.reminders.helpers import add_reminder, get_reminder, give_phones

# Views read the real clock: a date safely to come.
SOON = (utcnow() + dt.timedelta(days=30)).strftime("%Y-%m-%dT09:00")


@pytest.fixture
def shops(ctx, shop_a, shop_b):
    give_phones(shop_a, shop_b)
    return shop_a, shop_b


def _form(**fields) -> dict:
    return {"text": "Count the stock", "at": SOON, "repeat": "weekly", "cron": "", **fields}


def _reminders(tenant_id: int) -> list[Reminder]:
    with unscoped():
        reminders = list(db.scalars(select(Reminder).where(Reminder.tenant_id == tenant_id).order_by(Reminder.id)))
        for r in reminders:
            db.refresh(r)
            _ = r.recipients
    db.commit()
    return reminders


@pytest.mark.parametrize("who", ["owner-a@example.com", "staff-a@example.com"])
def test_create_edit_pause_resume_delete(client, shops, who):
    shop_a, _ = shops
    log_in(client, who)
    page = client.get("/reminders/new").get_data(as_text=True)
    assert 'id="text"' in page and 'id="at"' in page and 'id="repeat"' in page and 'id="cron"' in page
    assert 'id="save-reminder"' in page and 'data-counter-for="text"' in page
    me = shop_a.owner if who.startswith("owner") else shop_a.staff
    # The creator, who has a mobile, is chosen by default.
    assert f'value="{me.id}" id="recipient-{me.id}" checked' in page

    response = client.post("/reminders/new", data=_form(recipients=[shop_a.owner.id, shop_a.staff.id]))
    assert response.status_code == 302
    (reminder,) = _reminders(shop_a.tenant.id)
    assert reminder.repeat == ReminderRepeat.WEEKLY and reminder.created_by_id == me.id
    assert [u.id for u in reminder.recipients] == [shop_a.owner.id, shop_a.staff.id]
    local_nine = reminder.next_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert (local_nine.hour, local_nine.minute) == (9, 0)

    listing = client.get("/reminders/").get_data(as_text=True)
    assert 'id="reminders"' in listing and "Count the stock" in listing and "at 09:00" in listing
    assert 'id="nav-reminders"' in listing

    # An edit re-computes the next time from the new one.
    later = SOON.replace("T09:00", "T18:30")
    client.post(f"/reminders/{reminder.id}/edit", data=_form(text="Stock count", at=later, recipients=[me.id]))
    (edited,) = _reminders(shop_a.tenant.id)
    assert edited.text == "Stock count" and [u.id for u in edited.recipients] == [me.id]
    assert edited.next_at - reminder.next_at == dt.timedelta(hours=9, minutes=30)

    client.post(f"/reminders/{reminder.id}/pause")
    assert _reminders(shop_a.tenant.id)[0].paused
    assert "Paused" in client.get("/reminders/").get_data(as_text=True)
    # Editing a paused reminder keeps it paused.
    client.post(f"/reminders/{reminder.id}/edit", data=_form(recipients=[me.id]))
    assert _reminders(shop_a.tenant.id)[0].paused
    client.post(f"/reminders/{reminder.id}/resume")
    assert not _reminders(shop_a.tenant.id)[0].paused

    client.post(f"/reminders/{reminder.id}/delete")
    assert _reminders(shop_a.tenant.id) == []


def test_another_shops_reminder_is_404_on_every_route(client, shops):
    shop_a, shop_b = shops
    theirs = add_reminder(shop_b.tenant.id, [shop_b.owner.id], at=dt.datetime(2099, 1, 1, 9))
    log_in(client, "owner-a@example.com")
    assert client.get(f"/reminders/{theirs}/edit").status_code == 404
    assert client.post(f"/reminders/{theirs}/edit", data=_form(recipients=[shop_a.owner.id])).status_code == 404
    for action in ("pause", "resume", "delete"):
        assert client.post(f"/reminders/{theirs}/{action}").status_code == 404
    assert "Supplier delivery" not in client.get("/reminders/").get_data(as_text=True)
    assert get_reminder(theirs).paused is False


def test_a_user_of_another_shop_cannot_be_chosen(client, shops):
    shop_a, shop_b = shops
    log_in(client, "owner-a@example.com")
    page = client.post("/reminders/new", data=_form(recipients=[shop_b.owner.id])).get_data(as_text=True)
    assert "Choose at least one person of your shop who has a mobile number." in page
    page = client.post("/reminders/new", data=_form(recipients=[shop_a.owner.id, shop_b.owner.id]))
    assert page.status_code == 200
    assert _reminders(shop_a.tenant.id) == [] and len(_reminders(shop_b.tenant.id)) == 0


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"at": "2020-01-01T09:00"}, "Choose a time that is still to come."),
        ({"text": "  "}, "Write what the reminder should say."),
        ({"text": "x" * 301}, "Field cannot be longer than 300 characters."),
        ({"at": ""}, "Choose the date and time."),
        ({"repeat": "cron", "cron": "0 25 * * *"}, "The hour field “25” is not valid"),
        ({"repeat": "cron", "cron": "0 9 * *"}, "has five fields"),
        ({"repeat": "cron", "cron": ""}, "Enter a cron expression"),
        ({"recipients": []}, "Choose who gets it."),
    ],
)
def test_validation_errors(client, shops, fields, error):
    shop_a, _ = shops
    log_in(client, "owner-a@example.com")
    response = client.post("/reminders/new", data={**_form(recipients=[shop_a.owner.id]), **fields})
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)
    assert _reminders(shop_a.tenant.id) == []


def test_a_user_without_a_mobile_is_listed_but_cannot_be_chosen(client, shops):
    shop_a, _ = shops
    with scoped_to(shop_a.tenant.id):
        from tenants.models import User

        db.get(User, shop_a.staff.id).phone = None
        db.commit()
    log_in(client, "owner-a@example.com")
    page = client.get("/reminders/new").get_data(as_text=True)
    assert f'id="recipient-{shop_a.staff.id}" disabled' in page and 'id="no-mobile-hint"' in page
    page = client.post("/reminders/new", data=_form(recipients=[shop_a.staff.id])).get_data(as_text=True)
    assert "Choose at least one person of your shop who has a mobile number." in page


def test_cron_preview_shows_the_next_three_times(client, shops):
    shop_a, _ = shops
    log_in(client, "owner-a@example.com")
    fields = _form(repeat="cron", cron="0 9 * * 1-5", at="", preview="1", recipients=[shop_a.owner.id])
    page = client.post("/reminders/new", data=fields).get_data(as_text=True)
    assert 'id="cron-times"' in page and page.count("9:00:00") == 3
    assert _reminders(shop_a.tenant.id) == []
    del fields["preview"]
    assert client.post("/reminders/new", data=fields).status_code == 302
    (reminder,) = _reminders(shop_a.tenant.id)
    assert reminder.cron == "0 9 * * 1-5" and reminder.next_at.astimezone().weekday() < 5
    assert "Next times:" in client.get("/reminders/").get_data(as_text=True)


def test_the_list_shows_recent_sends_with_their_reason(client, shops):
    shop_a, _ = shops
    reminder = add_reminder(shop_a.tenant.id, [shop_a.owner.id], repeat=ReminderRepeat.DAILY)
    first_due = get_reminder(reminder).next_at
    run_due_reminders(first_due + dt.timedelta(hours=7))
    log_in(client, "staff-a@example.com")
    page = client.get("/reminders/").get_data(as_text=True)
    assert "Missed" in page and "missed: the scheduler was not running at 2027-05-03 09:00" in page
    with unscoped():
        assert db.scalar(select(ReminderSend.status)) == ReminderSendStatus.MISSED


def test_wap_lists_my_reminders_with_their_next_time(client, shops):
    shop_a, shop_b = shops
    add_reminder(shop_a.tenant.id, [shop_a.staff.id], text="Open the back door", at=dt.datetime(2099, 1, 1, 9))
    add_reminder(shop_a.tenant.id, [shop_a.owner.id], text="Owner only", at=dt.datetime(2099, 1, 1, 9))
    add_reminder(shop_b.tenant.id, [shop_b.owner.id], text="Shop B", at=dt.datetime(2099, 1, 1, 9))
    log_in(client, "staff-a@example.com")
    assert "/m/reminders" in client.get("/m/").get_data(as_text=True)
    page = client.get("/m/reminders").get_data(as_text=True)
    assert "Open the back door" in page and "Next: 1/1/99" in page
    assert "Owner only" not in page and "Shop B" not in page
