"""Importing members from CSV: encodings, headings, the preview's bad rows, updates, points, the background run."""

import csv
import io
import threading
import time

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mcrm.db import db
from mcrm.members.birthdays import Birthday
from mcrm.members.csv_io import CsvError
from mcrm.members.imports import ImportJob, ImportStatus, create_import, queue_import, run_import
from mcrm.members.models import Gender, Member, Source
from mcrm.members.services import create_member, find_by_phone
from mcrm.points.models import EntryReason, LedgerEntry
from mcrm.points.services import ledger_mismatches
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tests.conftest import log_in

HEADER = ["手机号", "姓名", "性别", "生日", "标签", "备注", "积分"]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig", delimiter=","):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def import_now(shop, data, filename="members.csv"):
    """Preview, confirm and run an import the way the confirming request does, but in this thread."""
    with scoped_to(shop.tenant.id):
        job = create_import(db.get(Tenant, shop.tenant.id), shop.owner, filename=filename, data=data)
        assert queue_import(job)
        db.commit()
        run_import(job.id)
        db.expunge_all()
        return db.get(ImportJob, job.id)


def member(shop, phone):
    """The member with this phone, tags loaded (they cannot load outside the shop's scope)."""
    with scoped_to(shop.tenant.id):
        found = find_by_phone(db.get(Tenant, shop.tenant.id), phone)
        if found is not None:
            db.refresh(found)
            assert found.tags is not None
        return found


def member_count(shop):
    with scoped_to(shop.tenant.id):
        return db.scalar(select(func.count()).select_from(Member).where(Member.tenant_id == shop.tenant.id))


def upload(client, data, filename="members.csv"):
    # Encoded here: the test client would spool a large body to a temporary file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename)})
    return client.post("/members/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8-sig"), ("gbk", "gb18030"), ("utf-16", "utf-16")],
)
def test_utf8_with_and_without_bom_gbk_and_utf16_files_keep_chinese_names(ctx, shop_a, shop_b, encoding, detected):
    data = csv_bytes(
        [
            ["13800138000", "王芳", "女", "1990-08-15", "VIP、常客", "喜欢靠窗", ""],
            ["13900139000", "李雷", "男", "", "", "", ""],
        ],
        encoding=encoding,
    )
    assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    job = import_now(shop_a, data)
    assert (job.status, job.added, job.updated, job.failed) == (ImportStatus.DONE, 2, 0, 0)
    assert job.encoding == detected
    wang = member(shop_a, "+8613800138000")
    assert (wang.name, wang.gender, wang.notes) == ("王芳", Gender.FEMALE, "喜欢靠窗")
    assert (wang.birthday_year, wang.birthday_month, wang.birthday_day) == (1990, 8, 15)
    assert sorted(tag.name for tag in wang.tags) == ["VIP", "常客"]
    assert member(shop_a, "+8613900139000").name == "李雷"
    assert member_count(shop_b) == 0


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        (["Phone", "Name", "Gender", "Birthday", "Tags", "Notes", "Points"], ","),
        (["手机", "姓名", "性别", "生日", "标签", "备注", "积分"], ","),
        (["Mobile Number*", "NAME", "sex", "date of birth", "tag", "remarks", "opening points"], ","),
        (["手机号码", "姓名", "性别", "生日", "标签", "备注", "积分"], "\t"),
    ],
)
def test_headings_in_chinese_or_english_in_any_spelling_are_understood(ctx, shop_a, header, delimiter):
    rows = [["138 0013 8000", "Lily", "F", "农历08-15", "VIP", "note", "120"]]
    job = import_now(shop_a, csv_bytes(rows, header=header, delimiter=delimiter))
    assert (job.added, job.failed) == (1, 0)
    lily = member(shop_a, "+8613800138000")
    assert (lily.name, lily.gender, lily.notes, lily.points_balance) == ("Lily", Gender.FEMALE, "note", 120)
    assert (lily.birthday_month, lily.birthday_day, lily.birthday_lunar) == (8, 15, True)
    assert [tag.name for tag in lily.tags] == ["VIP"]


def test_columns_in_another_order_with_unknown_ones_are_read_and_the_unknown_ignored(ctx, shop_a):
    data = csv_bytes([["x", "Lily", "13800138000"]], header=["会员卡号", "姓名", "手机号"])
    with scoped_to(shop_a.tenant.id):
        job = create_import(db.get(Tenant, shop_a.tenant.id), shop_a.owner, filename="a.csv", data=data)
    assert job.preview_details["columns"] == {"name": "姓名", "phone": "手机号"}
    assert job.preview_details["ignored"] == ["会员卡号"]
    assert job.preview_details["add"] == [{"line": 2, "phone": "+8613800138000", "name": "Lily"}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (csv_bytes([["Lily", "VIP"]], header=["姓名", "标签"]), "no mobile number column"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"", "empty"),
        (b"\r\n,,\r\n", "empty"),
        (csv_bytes([]), "no members under it"),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_with_a_clear_message(ctx, shop_a, data, message):
    with scoped_to(shop_a.tenant.id), pytest.raises(CsvError, match=message):
        create_import(db.get(Tenant, shop_a.tenant.id), shop_a.owner, filename="a.csv", data=data)


def test_the_upload_page_explains_a_refused_file_and_keeps_nothing(app, client, shop_a):
    log_in(client, "owner-a@example.com")
    page = upload(client, csv_bytes([["Lily"]], header=["姓名"])).get_data(as_text=True)
    assert "no mobile number column" in page and "found: 姓名" in page
    page = upload(client, b"x" * (10 * 1024 * 1024 + 1)).get_data(as_text=True)
    assert "larger than 10 MB" in page
    response = upload(client, b"x" * (11 * 1024 * 1024))  # refused by its length, before it is read
    assert response.status_code == 413 and "larger than 10 MB" in response.get_data(as_text=True)
    with app.app_context(), unscoped():
        assert db.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_every_bad_row_is_reported_by_line_and_the_good_rows_are_imported(app, client, shop_a):
    data = csv_bytes(
        [
            ["13800138000", "王芳", "女", "", "", "", ""],  # line 2
            ["12345", "坏号码", "", "", "", "", ""],  # line 3
            ["13900139000", "李雷", "", "1990-13-01", "", "", ""],  # line 4
            ["13700137000", "张三", "unsure", "", "", "", ""],  # line 5
            ["13600136000", "赵四", "", "", "", "", "lots"],  # line 6
            ["+86 138-0013-8000", "王芳again", "", "", "", "", ""],  # line 7
            ["", "无号码", "", "", "", "第一行\n第二行", ""],  # lines 8-9
            [],  # line 10, blank: not a row
            ["13500135000", "周五", "M", "08-15", "", "", "-5"],  # line 11
            ["13300133000", "钱七", "male", "0815", "", "", "30"],  # line 12
        ]
    )
    log_in(client, "owner-a@example.com")
    response = upload(client, data)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert '<span class="tile-value" id="to-add">2</span>' in page
    assert '<span class="tile-value" id="bad">7</span>' in page
    for line, reason in [
        (3, "12345 is not a valid mobile number."),
        (4, "Birthday 1990-13-01 is not a date"),
        (5, "Gender unsure is not one of"),
        (6, "Points lots is not a whole number"),
        (7, "+86 138-0013-8000 is already on line 2; the first one is imported."),
        (8, "No mobile number."),
        (11, "Points -5 is not a whole number"),
    ]:
        assert f"<tr><td>{line}</td><td>{reason}" in page
    response = client.post(response.location, data={"confirm": "Import"})
    _wait_until_done(client, response.location)
    with app.app_context():
        assert member(shop_a, "+8613800138000").name == "王芳"
        assert member(shop_a, "+8613300133000").points_balance == 30
        assert member(shop_a, "+8613900139000") is None
        assert member_count(shop_a) == 2
        job = _job(shop_a)
        assert (job.added, job.updated, job.failed, job.processed, job.total) == (2, 0, 7, 9, 9)
        assert [bad["line"] for bad in job.problems] == [3, 4, 5, 6, 7, 8, 11]


def _job(shop):
    with scoped_to(shop.tenant.id):
        db.expunge_all()
        return db.scalar(select(ImportJob).order_by(ImportJob.id.desc()))


def test_an_existing_member_is_filled_in_and_tagged_not_replaced(ctx, shop_a):
    with scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        old = create_member(
            tenant,
            phone="13800138000",
            source=Source.PORTAL,
            name="Old",
            gender=Gender.FEMALE,
            birthday=Birthday(month=1, day=2, year=1980),
            notes="keep",
            tags=["老客"],
        )
        db.commit()
    data = csv_bytes([["+86 138-0013-8000", "王芳", "", "农历08-15", "VIP", "", "500"]])
    job = import_now(shop_a, data)
    assert (job.added, job.updated) == (0, 1)
    wang = member(shop_a, "+8613800138000")
    assert wang.id == old.id
    assert (wang.name, wang.gender, wang.notes, wang.source) == ("王芳", Gender.FEMALE, "keep", Source.PORTAL)
    assert (wang.birthday_year, wang.birthday_month, wang.birthday_day, wang.birthday_lunar) == (None, 8, 15, True)
    assert sorted(tag.name for tag in wang.tags) == ["VIP", "老客"]
    # Opening points are for new members: an existing balance is never overwritten by a file.
    assert wang.points_balance == 0


def test_the_first_of_duplicate_phones_in_a_file_wins(ctx, shop_a):
    data = csv_bytes(
        [["13800138000", "First", "", "", "", "", "10"], ["138-0013-8000", "Second", "", "", "", "", "99"]]
    )
    job = import_now(shop_a, data)
    assert (job.added, job.failed) == (1, 1)
    assert job.problems == [{"line": 3, "problems": [{"code": "duplicate", "value": "138-0013-8000", "line": 2}]}]
    first = member(shop_a, "+8613800138000")
    assert (first.name, first.points_balance) == ("First", 10)


def test_new_members_get_consent_from_the_import_opening_points_in_the_ledger_and_no_welcome_bonus(ctx, shop_a):
    with unscoped():
        db.get(Tenant, shop_a.tenant.id).welcome_bonus = 50
        db.commit()
    data = csv_bytes([["13800138000", "王芳", "", "", "", "", "1,200"], ["13900139000", "李雷", "", "", "", "", ""]])
    job = import_now(shop_a, data)
    wang, li = member(shop_a, "+8613800138000"), member(shop_a, "+8613900139000")
    assert (wang.source, wang.consent_source, wang.consent_by_user_id) == (
        Source.IMPORT,
        Source.IMPORT,
        shop_a.owner.id,
    )
    assert wang.consent_evidence == f"import:{job.id} line 2"
    assert wang.joined_at == wang.consent_at and wang.joined_at >= job.started_at
    with scoped_to(shop_a.tenant.id):
        entries = db.execute(
            select(
                LedgerEntry.member_id,
                LedgerEntry.points,
                LedgerEntry.balance_after,
                LedgerEntry.reason,
                LedgerEntry.note,
            )
        ).all()
    assert entries == [(wang.id, 1200, 1200, EntryReason.ADJUSTMENT, "import")]
    assert (wang.points_balance, li.points_balance) == (1200, 0)
    with unscoped():
        assert ledger_mismatches() == []


def test_a_job_runs_once_even_when_started_twice(ctx, shop_a):
    job = import_now(shop_a, csv_bytes([["13800138000", "王芳", "", "", "", "", "100"]]))
    with scoped_to(shop_a.tenant.id):
        run_import(job.id)
        db.expunge_all()
        assert db.get(ImportJob, job.id).added == 1
        assert db.scalar(select(func.sum(LedgerEntry.points))) == 100
    assert member_count(shop_a) == 1


def test_a_large_file_is_imported_in_batches_with_tags_shared_and_counted(ctx, shop_a):
    rows = [[f"1380013{n:04d}", f"会员{n}", "", "", "VIP" if n % 2 else "", "", ""] for n in range(2500)]
    with scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        create_member(tenant, phone="13800131234", source=Source.PORTAL, name="Old", tags=["VIP"])
        db.commit()
    job = import_now(shop_a, csv_bytes(rows))
    assert (job.added, job.updated, job.processed, job.total) == (2499, 1, 2500, 2500)
    assert member_count(shop_a) == 2500
    assert [tag.name for tag in member(shop_a, "+8613800131234").tags] == ["VIP"]
    assert member(shop_a, "+8613800132499").name == "会员2499"


def test_confirming_imports_in_the_background_while_the_progress_page_follows(app, client, shop_a, shop_b):
    rows = [[f"1390013{n:04d}", f"会员{n}", "女", "", "新客", "", "5"] for n in range(3000)]
    log_in(client, "owner-a@example.com")
    preview = upload(client, csv_bytes(rows)).location
    job_id = int(preview.rsplit("/", 1)[1])
    assert "3000" in client.get(preview).get_data(as_text=True)
    progress = client.post(preview, data={"confirm": "Import"}).location
    assert progress.endswith(f"/members/import/{job_id}/progress")
    pages = _wait_until_done(client, progress)
    assert "<h1>Members imported</h1>" in pages[-1] and "did not get the welcome bonus" in pages[-1]
    assert '<span class="tile-value" id="added">3000</span>' in pages[-1]
    # A second confirmation (a double click) starts nothing: the preview now leads to the progress page.
    assert client.post(preview, data={"confirm": "Import"}).location.endswith("/progress")
    with app.app_context():
        assert member_count(shop_a) == 3000 and member_count(shop_b) == 0
        with unscoped():
            assert ledger_mismatches() == []


def _wait_until_done(client, progress_url, timeout=60):
    """Poll the progress page as a browser would (it refreshes itself) until the import ends."""
    pages, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(progress_url)
        page = response.get_data(as_text=True)
        pages.append(page)
        assert "Stopped by an error" not in page
        if "The import is finished" in page:
            assert '<meta http-equiv="refresh"' not in page and "Refresh" not in response.headers
            for thread in threading.enumerate():
                if thread.name == f"member-import-{progress_url.split('/')[-2]}":
                    thread.join(timeout)
            return pages
        assert '<meta http-equiv="refresh" content="2">' in page and response.headers["Refresh"] == "2"
        assert "<progress max=" in page
        time.sleep(0.05)
    raise AssertionError(f"the import did not finish in {timeout} s")


def test_a_running_import_shows_a_progress_bar_that_reloads_itself(app, client, shop_a):
    with app.app_context():
        with scoped_to(shop_a.tenant.id):
            tenant = db.get(Tenant, shop_a.tenant.id)
            job = create_import(tenant, shop_a.owner, filename="a.csv", data=csv_bytes([["13800138000"]]))
            queue_import(job)
            job.status, job.processed = ImportStatus.RUNNING, 1
            job.total = 4
            db.commit()
            job_id = job.id
        db.remove()
    log_in(client, "owner-a@example.com")
    response = client.get(f"/members/import/{job_id}/progress")
    page = response.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page and response.headers["Refresh"] == "2"
    assert '<progress max="4" value="1">' in page and "1 of 4 rows" in page
    assert client.get(f"/members/import/{job_id}").location.endswith("/progress")


def test_cancelling_a_preview_drops_the_file_and_changes_nothing(app, client, shop_a):
    log_in(client, "owner-a@example.com")
    preview = upload(client, csv_bytes([["13800138000", "王芳"]], header=["手机号", "姓名"])).location
    response = client.post(preview, data={"cancel": "Cancel this import"}, follow_redirects=True)
    assert "nothing was changed" in response.get_data(as_text=True)
    assert client.get(preview).status_code == 404
    with app.app_context():
        assert member_count(shop_a) == 0


def test_staff_cannot_import(client, shop_a):
    log_in(client, "staff-a@example.com")
    assert client.get("/members/import").status_code == 403
    assert upload(client, csv_bytes([["13800138000"]])).status_code == 403
    assert client.get("/members/import/template.csv").status_code == 403


def test_another_shops_import_answers_404_and_is_not_run(app, client, shop_a, shop_b):
    with app.app_context():
        with scoped_to(shop_a.tenant.id):
            job = create_import(
                db.get(Tenant, shop_a.tenant.id), shop_a.owner, filename="a.csv", data=csv_bytes([["13800138000"]])
            )
            db.commit()
            job_id = job.id
        db.remove()
    log_in(client, "owner-b@example.com")
    assert client.get(f"/members/import/{job_id}").status_code == 404
    assert client.post(f"/members/import/{job_id}", data={"confirm": "Import"}).status_code == 404
    assert client.post(f"/members/import/{job_id}", data={"cancel": "Cancel"}).status_code == 404
    assert client.get(f"/members/import/{job_id}/progress").status_code == 404
    with app.app_context():
        assert _job(shop_a).status == ImportStatus.PENDING


def test_the_template_file_imports_as_it_is(ctx, shop_a):
    from mcrm.members.csv_io import template_csv

    job = import_now(shop_a, template_csv())
    assert (job.added, job.failed) == (1, 0)
    example = member(shop_a, "+8613800138000")
    assert (example.gender, example.points_balance, [t.name for t in example.tags]) == (Gender.FEMALE, 100, ["VIP"])
