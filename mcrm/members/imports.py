"""Member imports from CSV: the job a preview creates, and the runner that imports it in the background.

The owner uploads a file; `create_import` reads it at once (so the preview can show what will happen)
and keeps the bytes on the job until the owner confirms. The confirming request queues the job and
starts `start_import`, a thread with its own session, which imports in batches and commits each one,
so the progress page shows how far it got and a crash keeps the batches already done.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import threading

from flask import Flask
from sqlalchemy import ForeignKey, LargeBinary, String, Text, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from mcrm.db import Base, db, utcnow
from mcrm.members import csv_io
from tenants.isolation import TenantScoped, scoped_to
from tenants.models import Tenant, User, _enum

log = logging.getLogger(__name__)

BATCH_ROWS = 1000
# Rows shown on the preview as examples of what will be added and what will be updated.
SAMPLE_ROWS = 10
# A preview nobody confirmed is dropped (with its file) when the shop uploads again after this long.
PENDING_KEPT = dt.timedelta(days=1)
# A batch that collides with a member or tag created at the same moment is read again and retried.
BATCH_ATTEMPTS = 3


class ImportStatus(enum.StrEnum):
    """pending (previewed) → queued (confirmed) → running → done | failed; a pending import can be cancelled."""

    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportJob(TenantScoped, Base):
    """One uploaded CSV file of members, from its preview to the report of what was imported."""

    __tablename__ = "member_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    encoding: Mapped[str] = mapped_column(String(20), default="")
    # The uploaded bytes (at most csv_io.MAX_BYTES), from the preview until the import ends; deferred so
    # that polling the progress never loads them.
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    status: Mapped[ImportStatus] = mapped_column(_enum(ImportStatus), default=ImportStatus.PENDING)
    # What the preview found: data rows, of which to add and to update (the rest are bad rows).
    total: Mapped[int] = mapped_column(default=0)
    to_add: Mapped[int] = mapped_column(default=0)
    to_update: Mapped[int] = mapped_column(default=0)
    # JSON: the columns recognised and ignored, and a few example rows (see `preview_details`).
    preview: Mapped[str] = mapped_column(Text, default="{}")
    # What the import did so far; `processed` counts good and bad rows, for the progress bar.
    processed: Mapped[int] = mapped_column(default=0)
    added: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    # JSON: every bad row with its line number and problems (csv_io.BadRow.as_json).
    bad_rows: Mapped[str] = mapped_column(Text, default="[]")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    @property
    def problems(self) -> list[dict]:
        return json.loads(self.bad_rows or "[]")

    @property
    def preview_details(self) -> dict:
        return json.loads(self.preview or "{}")

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)


def create_import(tenant: Tenant, user: User | None, *, filename: str, data: bytes) -> ImportJob:
    """Read the file and keep it with its preview until the owner confirms; csv_io.CsvError when unreadable."""
    parsed = csv_io.parse_members_csv(tenant, data)
    existing = csv_io.existing_phones(tenant, [row.phone for row in parsed.rows])
    to_add = [row for row in parsed.rows if row.phone not in existing]
    to_update = [row for row in parsed.rows if row.phone in existing]
    db.execute(
        delete(ImportJob).where(
            ImportJob.tenant_id == tenant.id,
            ImportJob.status == ImportStatus.PENDING,
            ImportJob.created_at < utcnow() - PENDING_KEPT,
        )
    )
    details = {
        "columns": parsed.columns,
        "ignored": parsed.ignored,
        "add": [row.sample() for row in to_add[:SAMPLE_ROWS]],
        "update": [row.sample() for row in to_update[:SAMPLE_ROWS]],
    }
    job = ImportJob(
        tenant_id=tenant.id,
        created_by_id=user.id if user else None,
        filename=filename[:200],
        encoding=parsed.encoding,
        data=data,
        status=ImportStatus.PENDING,
        total=parsed.total,
        to_add=len(to_add),
        to_update=len(to_update),
        failed=len(parsed.bad),
        preview=json.dumps(details, ensure_ascii=False),
        bad_rows=json.dumps([bad.as_json() for bad in parsed.bad], ensure_ascii=False),
    )
    db.add(job)
    db.flush()
    return job


def queue_import(job: ImportJob) -> bool:
    """Mark a previewed import as confirmed; False when it was confirmed already (a second click)."""
    queued = db.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.tenant_id == job.tenant_id, ImportJob.status == ImportStatus.PENDING)
        .values(status=ImportStatus.QUEUED)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.refresh(job, ["status"])
    return queued == 1


def cancel_import(job: ImportJob) -> bool:
    """Drop a preview that was not confirmed, with its file; False when it is already under way."""
    return (
        db.execute(
            delete(ImportJob)
            .where(
                ImportJob.id == job.id, ImportJob.tenant_id == job.tenant_id, ImportJob.status == ImportStatus.PENDING
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def recent_imports(tenant: Tenant, limit: int = 10) -> list[ImportJob]:
    return list(
        db.scalars(select(ImportJob).where(ImportJob.tenant_id == tenant.id).order_by(ImportJob.id.desc()).limit(limit))
    )


def start_import(app: Flask, job: ImportJob) -> threading.Thread:
    """Run a queued import in a thread of this process, with its own session, scoped to the job's shop."""
    thread = threading.Thread(
        target=_thread_main, args=(app, job.id, job.tenant_id), name=f"member-import-{job.id}", daemon=True
    )
    thread.start()
    return thread


def _thread_main(app: Flask, job_id: int, tenant_id: int) -> None:
    # Leaving the app context removes this thread's session (mcrm.hooks).
    with app.app_context(), scoped_to(tenant_id):
        run_import(job_id)


def run_import(job_id: int) -> None:
    """Import a queued job in batches, committing each; the caller binds the job's shop.

    Runs once per job: the guarded claim queued → running makes a second runner return at once.
    """
    claimed = db.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status == ImportStatus.QUEUED)
        .values(status=ImportStatus.RUNNING, started_at=utcnow(), processed=0, added=0, updated=0, failed=0)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.commit()
    if claimed != 1:
        return
    job = db.get(ImportJob, job_id)
    try:
        tenant = db.get(Tenant, job.tenant_id)
        parsed = csv_io.parse_members_csv(tenant, job.data or b"")
        for start in range(0, len(parsed.entries), BATCH_ROWS):
            _import_batch(tenant, job, parsed.entries[start : start + BATCH_ROWS])
        db.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(
                status=ImportStatus.DONE,
                finished_at=utcnow(),
                data=None,
                bad_rows=json.dumps([bad.as_json() for bad in parsed.bad], ensure_ascii=False),
            )
            .execution_options(synchronize_session=False)
        )
        db.commit()
    except Exception as error:
        log.exception("member import %s failed", job_id)
        db.rollback()
        db.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(status=ImportStatus.FAILED, finished_at=utcnow(), data=None, error=str(error)[:2000])
            .execution_options(synchronize_session=False)
        )
        db.commit()


def _import_batch(tenant: Tenant, job: ImportJob, entries: list[csv_io.Row | csv_io.BadRow]) -> None:
    """Write one batch and its progress in one transaction."""
    rows = [entry for entry in entries if isinstance(entry, csv_io.Row)]
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            added, updated = csv_io.import_rows(tenant, rows, job_id=job.id, by_user_id=job.created_by_id)
            db.execute(
                update(ImportJob)
                .where(ImportJob.id == job.id)
                .values(
                    processed=ImportJob.processed + len(entries),
                    added=ImportJob.added + added,
                    updated=ImportJob.updated + updated,
                    failed=ImportJob.failed + len(entries) - len(rows),
                )
                .execution_options(synchronize_session=False)
            )
            db.commit()
            return
        except IntegrityError:
            # A member or tag with the same phone or name was created meanwhile; read the batch again.
            db.rollback()
            if attempt == BATCH_ATTEMPTS:
                raise
