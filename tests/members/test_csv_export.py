"""Exporting members and purchases to CSV that Excel opens with Chinese intact and no formulas."""

import codecs
import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mcrm.db import db
from mcrm.members.birthdays import Birthday
from mcrm.members.csv_io import members_csv, neutralise
from mcrm.members.models import Gender, Source
from mcrm.members.services import create_member
from mcrm.points.models import Channel, Purchase
from mcrm.points.services import adjust, record_purchase, reverse_purchase
from tenants.isolation import scoped_to
from tenants.models import Tenant, User
from tests.conftest import log_in
from tests.members.test_csv_import import csv_bytes, import_now, member

SHANGHAI = ZoneInfo("Asia/Shanghai")


def rows_of(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def shop_with_customers(app, shop, other_shop):
    """王芳 with a lunar birthday, tags, points and two purchases (one reversed), and a US number."""
    with app.app_context():
        with scoped_to(shop.tenant.id):
            tenant, owner = db.get(Tenant, shop.tenant.id), db.get(User, shop.owner.id)
            wang = create_member(
                tenant,
                phone="13800138000",
                source=Source.PORTAL,
                name="王芳",
                gender=Gender.FEMALE,
                birthday=Birthday(month=8, day=15, lunar=True),
                notes="喜欢靠窗，不要辣",
                tags=["VIP", "常客"],
                by_user=owner,
            )
            adjust(tenant, wang, 120, note="opening balance", by_user=owner)
            record_purchase(
                tenant,
                wang,
                Decimal("88.50"),
                channel=Channel.PORTAL,
                by_user=owner,
                occurred_at=dt.datetime(2026, 5, 1, 16, 30, tzinfo=dt.UTC),
            )
            record_purchase(
                tenant,
                wang,
                Decimal("20"),
                channel=Channel.WAP,
                by_user=owner,
                occurred_at=dt.datetime(2026, 5, 2, 1, 0, tzinfo=dt.UTC),
            )
            reverse_purchase(tenant, db.scalar(select(Purchase).where(Purchase.amount == Decimal("20"))))
            create_member(tenant, phone="+1 415 555 0100", source=Source.API, name="Bob")
            db.commit()
            last_visit, joined = wang.last_visit_at, wang.joined_at
        with scoped_to(other_shop.tenant.id):
            create_member(db.get(Tenant, other_shop.tenant.id), phone="13900139000", source=Source.SMS, name="李雷")
            db.commit()
        db.remove()
    return last_visit, joined


def local(moment):
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def test_members_export_opens_as_utf8_with_bom_in_the_readers_language(app, client, shop_a, shop_b):
    last_visit, joined = shop_with_customers(app, shop_a, shop_b)
    log_in(client, "owner-a@example.com")
    response = client.get("/members/export.csv")
    assert response.headers["Content-Disposition"].endswith(
        f"members-{shop_a.tenant.slug}-{dt.datetime.now(SHANGHAI):%Y%m%d}.csv"
    )
    rows = rows_of(response)
    assert rows[0] == [
        "Phone",
        "Name",
        "Gender",
        "Birthday",
        "Tags",
        "Notes",
        "Points balance",
        "Total spent",
        "Visits",
        "Last visit",
        "Joined",
        "Source",
        "Opted out",
    ]
    assert rows[1] == [
        "13800138000",
        "王芳",
        "Female",
        "农历 08-15",
        "VIP,常客",
        "喜欢靠窗，不要辣",
        "208",
        "88.50",
        "1",
        local(last_visit),
        local(joined),
        "Portal",
        "",
    ]
    # A number from abroad stays in E.164; its "+" would make Excel read a formula, so it is quoted.
    assert rows[2][:3] == ["'+14155550100", "Bob", ""] and rows[2][11] == "API"
    assert len(rows) == 3  # shop B's member is not in shop A's file


def test_an_exported_file_imports_into_another_shop_with_the_same_members(app, client, shop_a, shop_b):
    shop_with_customers(app, shop_a, shop_b)
    log_in(client, "owner-a@example.com")
    exported = client.get("/members/export.csv").data
    with app.app_context():
        job = import_now(shop_b, exported)
        assert (job.added, job.updated, job.failed) == (2, 0, 0)
        wang = member(shop_b, "+8613800138000")
        assert (wang.name, wang.gender, wang.notes, wang.points_balance) == (
            "王芳",
            Gender.FEMALE,
            "喜欢靠窗，不要辣",
            208,
        )
        assert (wang.birthday_month, wang.birthday_day, wang.birthday_lunar, wang.birthday_year) == (8, 15, True, None)
        assert sorted(tag.name for tag in wang.tags) == ["VIP", "常客"]
        assert member(shop_b, "+14155550100").name == "Bob"


def test_purchases_export_has_shop_times_channels_staff_and_reversals(app, client, shop_a, shop_b):
    shop_with_customers(app, shop_a, shop_b)
    log_in(client, "owner-a@example.com")
    rows = rows_of(client.get("/members/purchases/export.csv"))
    assert rows == [
        ["Member phone", "Member name", "Amount", "Points", "Occurred at", "Channel", "Recorded by", "Reversed"],
        ["13800138000", "王芳", "88.50", "88", "2026-05-02 00:30", "Portal", "Owner a", ""],
        ["13800138000", "王芳", "20.00", "20", "2026-05-02 09:00", "WAP", "Owner a", "Yes"],
    ]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=b", "a=b"),
        ("王芳", "王芳"),
        ("", ""),
    ],
)
def test_cells_that_excel_would_run_as_formulas_are_quoted(cell, written):
    assert neutralise(cell) == written


def test_formulas_typed_into_members_leave_the_export_as_text_and_come_back_unchanged(app, client, shop_a, shop_b):
    with app.app_context():
        with scoped_to(shop_a.tenant.id):
            tenant = db.get(Tenant, shop_a.tenant.id)
            create_member(
                tenant,
                phone="13800138000",
                source=Source.PORTAL,
                name="=cmd|' /C calc'!A0",
                notes="@SUM(1+1)",
                tags=["+VIP"],
            )
            db.commit()
        db.remove()
    log_in(client, "owner-a@example.com")
    response = client.get("/members/export.csv")
    row = rows_of(response)[1]
    assert (row[1], row[4], row[5]) == ("'=cmd|' /C calc'!A0", "'+VIP", "'@SUM(1+1)")
    with app.app_context():
        import_now(shop_b, response.data)
        again = member(shop_b, "+8613800138000")
        assert (again.name, again.notes, [t.name for t in again.tags]) == ("=cmd|' /C calc'!A0", "@SUM(1+1)", ["+VIP"])


def test_the_export_streams_in_chunks(ctx, shop_a):
    rows = [[f"1380013{n:04d}", f"会员{n}", "", "", "", "备注" * 20, ""] for n in range(2500)]
    import_now(shop_a, csv_bytes(rows))
    with scoped_to(shop_a.tenant.id):
        chunks = list(members_csv(db.get(Tenant, shop_a.tenant.id)))
    assert len(chunks) > 1
    text = b"".join(chunks).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text, newline="")))) == 2501


@pytest.mark.parametrize("path", ["/members/export.csv", "/members/purchases/export.csv"])
def test_staff_cannot_export(client, shop_a, path):
    log_in(client, "staff-a@example.com")
    assert client.get(path).status_code == 403
