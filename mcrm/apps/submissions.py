"""A form app's submissions as the owner reads them: one column per question, on the app's page and in a CSV.

A submission keeps the prompts it was asked with, so after the owner edits the form its older answers may
not fit today's columns: those are shown together in one last column rather than lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select

from mcrm.apps.models import FormSubmission, KeywordApp
from mcrm.db import db
from mcrm.members.csv_io import csv_stream, export_phone, local_time_formatter
from mcrm.members.models import Member
from tenants.models import Tenant


def answer_columns(app: KeywordApp) -> list[str]:
    return [question.prompt for question in app.questions]


def answer_cells(answers: list[dict], columns: list[str]) -> tuple[list[str], str]:
    """The answers under `columns` (matched by prompt, in order), and the rest as one "question: answer" text."""
    left = list(answers)
    cells = []
    for prompt in columns:
        found = next((item for item in left if item.get("question") == prompt), None)
        if found is not None:
            left.remove(found)
        cells.append(str(found.get("answer", "")) if found else "")
    others = "; ".join(f"{item.get('question', '')}: {item.get('answer', '')}" for item in left)
    return cells, others


def submission_count(app: KeywordApp) -> int:
    return db.scalar(select(func.count()).where(FormSubmission.app_id == app.id)) or 0


def latest_submissions(app: KeywordApp, limit: int = 20) -> list[tuple[FormSubmission, Member | None]]:
    rows = db.execute(
        select(FormSubmission, Member)
        .outerjoin(Member, Member.id == FormSubmission.member_id)
        .where(FormSubmission.app_id == app.id)
        .order_by(FormSubmission.created_at.desc(), FormSubmission.id.desc())
        .limit(limit)
    )
    return [(submission, member) for submission, member in rows]


def submissions_csv(tenant: Tenant, app: KeywordApp) -> Iterator[bytes]:
    """Every submission of the app, oldest first, times in the shop's timezone; read as the member export is
    (UTF-8 with a BOM, formula-looking cells neutralised)."""
    columns = answer_columns(app)
    header = [_("Time"), _("Phone"), _("Name"), *columns, _("Answers to earlier questions")]
    when, country = local_time_formatter(ZoneInfo(tenant.timezone)), tenant.country

    def cells(item) -> list[str]:
        submission, name = item
        answers, others = answer_cells(submission.answers or [], columns)
        return [when(submission.created_at), export_phone(submission.phone, country), name or "", *answers, others]

    query = (
        select(FormSubmission, Member.name)
        .outerjoin(Member, Member.id == FormSubmission.member_id)
        .where(FormSubmission.tenant_id == tenant.id, FormSubmission.app_id == app.id)
        .order_by(FormSubmission.created_at, FormSubmission.id)
    )
    return csv_stream(tenant.id, header, query, cells)
