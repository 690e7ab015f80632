"""CSV import of 100k members into a fresh PostgreSQL database: upload and preview, then the background import.

The target (issue 3) is under a minute for the whole of it. Importing the same file again (every row an
update) and exporting the 100k members are measured against the same minute.
"""

from __future__ import annotations

import csv
import io
import time

from sqlalchemy import func, select

from bench.__main__ import Figure
from bench.database import bench_app
from mcrm.db import db
from mcrm.members.csv_io import members_csv
from mcrm.members.imports import ImportJob, ImportStatus, create_import, queue_import, start_import
from mcrm.members.models import Member
from mcrm.points.services import ledger_mismatches
from tenants.isolation import scoped_to, unscoped
from tenants.services import create_tenant

ROWS = 100_000
TARGET_SECONDS = 60.0
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "芳伟娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
TAGS = ("VIP", "常客", "新客", "生日会员", "外卖")


def members_file(rows: int = ROWS) -> bytes:
    """A file as a shop would bring it: Chinese headings and names, some birthdays, tags, points and notes,
    and one row in a thousand with a mistyped number."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["手机号", "姓名", "性别", "生日", "标签", "备注", "积分"])
    for n in range(rows):
        phone = f"139{n:08d}" if n % 1000 != 999 else f"139{n:05d}"
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n // 7) % len(GIVEN)]
        gender = ("男", "女", "")[n % 3]
        birthday = f"19{60 + n % 40}-{1 + n % 12:02d}-{1 + n % 28:02d}" if n % 3 == 0 else ""
        tags = "、".join(TAGS[(n + k) % len(TAGS)] for k in range(n % 3))
        notes = "喜欢靠窗" if n % 10 == 0 else ""
        points = str(n % 500) if n % 4 == 0 else ""
        writer.writerow([phone, name, gender, birthday, tags, notes, points])
    return buffer.getvalue().encode("utf-8-sig")


def _import(app, tenant, owner, data: bytes) -> tuple[float, ImportJob]:
    started = time.perf_counter()
    with scoped_to(tenant.id):
        job = create_import(tenant, owner, filename="members.csv", data=data)
        queue_import(job)
        db.commit()
        start_import(app, job).join()
        db.expunge_all()
        job = db.get(ImportJob, job.id)
    return time.perf_counter() - started, job


def run() -> list[Figure]:
    with bench_app() as app, app.app_context():
        with unscoped():
            tenant = create_tenant(
                name="Bench",
                owner_name="Owner",
                owner_login="bench@example.com",
                owner_password="Corr3ct-Horse-Battery",
                locale="zh_CN",
            )
            db.commit()
            owner = tenant.users[0]
        data = members_file()
        first, job = _import(app, tenant, owner, data)
        assert job.status == ImportStatus.DONE, job.error
        assert (job.added, job.failed) == (ROWS - ROWS // 1000, ROWS // 1000), (job.added, job.failed)
        again, job = _import(app, tenant, owner, data)
        assert (job.status, job.updated) == (ImportStatus.DONE, ROWS - ROWS // 1000), (job.status, job.error)
        started = time.perf_counter()
        with scoped_to(tenant.id):
            exported = sum(chunk.count(b"\n") for chunk in members_csv(tenant))
        export = time.perf_counter() - started
        with scoped_to(tenant.id):
            assert db.scalar(select(func.count()).select_from(Member)) == exported - 1
        with unscoped():
            assert ledger_mismatches() == []
        db.remove()
    return [
        Figure("CSV import, 100k new members (preview + import)", first, TARGET_SECONDS, "s"),
        Figure("CSV import, same 100k again (all updates)", again, TARGET_SECONDS, "s"),
        Figure("CSV export, 100k members", export, TARGET_SECONDS, "s"),
    ]
