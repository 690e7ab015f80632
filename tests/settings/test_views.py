"""Shop settings."""

import datetime as dt

from mcrm.db import db
from mcrm.messaging.models import MessageKind
from mcrm.messaging.policies import compose
from tenants.isolation import unscoped
from tenants.models import Tenant
from tests.conftest import log_in

FORM = {
    "name": "Shop A+",
    "signature": "【A+】",
    "timezone": "Asia/Singapore",
    "locale": "zh_CN",
    "quiet_start": "22:00",
    "quiet_end": "09:30",
    "opt_out_line": "",
    "marketing_daily_cap": "1",
    "rfm_window_days": "365",
}


def _tenant(tenant_id):
    with unscoped():
        db.expunge_all()
        return db.get(Tenant, tenant_id)


def test_owner_saves_settings(client, shop_a, shop_b):
    log_in(client, "owner-a@example.com")
    assert client.post("/settings/", data=FORM).status_code == 302
    tenant = _tenant(shop_a.tenant.id)
    assert (tenant.name, tenant.signature, tenant.timezone, tenant.locale) == (
        "Shop A+",
        "【A+】",
        "Asia/Singapore",
        "zh_CN",
    )
    assert (tenant.quiet_start, tenant.quiet_end) == (dt.time(22, 0), dt.time(9, 30))
    assert _tenant(shop_b.tenant.id).name == "Shop B"


def test_bad_settings_are_explained_and_nothing_changes(client, shop_a):
    log_in(client, "owner-a@example.com")
    page = client.post("/settings/", data={**FORM, "timezone": "Mars/Olympus", "quiet_end": "22:00"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Not a valid choice" in text and "Start and end must differ." in text
    assert _tenant(shop_a.tenant.id).name == "Shop A"


def test_owner_sets_the_opt_out_line_and_the_daily_cap_and_promotions_use_them(app, client, shop_a):
    log_in(client, "owner-a@example.com")
    form = {**FORM, "locale": "en", "opt_out_line": " Reply N to stop ", "marketing_daily_cap": "3"}
    assert client.post("/settings/", data=form).status_code == 302
    tenant = _tenant(shop_a.tenant.id)
    assert (tenant.opt_out_line, tenant.marketing_daily_cap) == (" Reply N to stop ", 3)
    with app.app_context():
        assert compose(tenant, "Half price today", MessageKind.MARKETING) == "【A+】Half price today Reply N to stop"
        # Only promotions carry it.
        assert compose(tenant, "Your points: 28", MessageKind.TRANSACTIONAL) == "【A+】Your points: 28"
    # Emptied, the line falls back to the default in the shop's language.
    client.post("/settings/", data={**form, "opt_out_line": ""})
    with app.app_context():
        assert compose(_tenant(shop_a.tenant.id), "Sale", MessageKind.MARKETING) == "【A+】Sale Reply STOP to opt out"


def test_the_daily_cap_stays_between_1_and_10(client, shop_a):
    log_in(client, "owner-a@example.com")
    page = client.post("/settings/", data={**FORM, "marketing_daily_cap": "11"})
    assert page.status_code == 200 and "Number must be between 1 and 10." in page.get_data(as_text=True)
    assert _tenant(shop_a.tenant.id).marketing_daily_cap == 1


def test_owner_sets_the_rfm_window_within_bounds(client, shop_a):
    log_in(client, "owner-a@example.com")
    form = {**FORM, "locale": "en"}
    assert client.post("/settings/", data={**form, "rfm_window_days": "90"}).status_code == 302
    assert _tenant(shop_a.tenant.id).rfm_window_days == 90
    page = client.post("/settings/", data={**form, "rfm_window_days": "7"})
    assert page.status_code == 200 and "Number must be between 30 and 1095." in page.get_data(as_text=True)
    assert _tenant(shop_a.tenant.id).rfm_window_days == 90
