"""CSV import and export of members and purchases (owner only)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mcrm.auth.decorators import owner_required
from mcrm.db import db
from mcrm.members import csv_io
from mcrm.members.imports import (
    ImportJob,
    ImportStatus,
    cancel_import,
    create_import,
    queue_import,
    recent_imports,
    start_import,
)
from mcrm.members.io_forms import ImportConfirmForm, ImportUploadForm
from tenants.isolation import get_or_404

bp = Blueprint("member_io", __name__, url_prefix="/members")

# The multipart envelope around the file; anything bigger is refused before it is read.
UPLOAD_OVERHEAD = 64 * 1024


def _too_big() -> str:
    return _("The file is larger than 10 MB. Split it into smaller files and import them one by one.")


@bp.route("/import", methods=["GET", "POST"])
@owner_required
def import_upload():
    form_errors = []
    if request.method == "POST" and (request.content_length or 0) > csv_io.MAX_BYTES + UPLOAD_OVERHEAD:
        form = ImportUploadForm(formdata=None)
        form.form_errors.append(_too_big())
        return _upload_page(form), 413
    # A body sent without a length is cut off here instead of being read to the end.
    request.max_content_length = csv_io.MAX_BYTES + UPLOAD_OVERHEAD
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(csv_io.MAX_BYTES + 1)
        try:
            job = create_import(g.tenant, current_user, filename=upload.filename or "", data=data)
        except csv_io.CsvError as error:
            db.rollback()
            form_errors.append(str(error))
        else:
            db.commit()
            return redirect(url_for("member_io.import_preview", job_id=job.id))
    form.form_errors.extend(form_errors)
    return _upload_page(form)


def _upload_page(form: ImportUploadForm) -> str:
    return render_template(
        "member_io/upload.html", form=form, jobs=recent_imports(g.tenant), fields=csv_io.FIELD_LABELS
    )


@bp.route("/import/template.csv")
@owner_required
def import_template():
    return Response(
        csv_io.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=members-import.csv"},
    )


@bp.route("/import/<int:job_id>", methods=["GET", "POST"])
@owner_required
def import_preview(job_id: int):
    job = get_or_404(ImportJob, job_id)
    if job.status != ImportStatus.PENDING:
        return redirect(url_for("member_io.import_progress", job_id=job.id))
    form = ImportConfirmForm()
    if form.validate_on_submit():
        if form.cancel.data:
            cancel_import(job)
            db.commit()
            flash(_("The import was cancelled; nothing was changed."), "success")
            return redirect(url_for("member_io.import_upload"))
        queued = queue_import(job)
        db.commit()
        if queued:
            start_import(current_app._get_current_object(), job)
        return redirect(url_for("member_io.import_progress", job_id=job.id))
    return render_template(
        "member_io/preview.html",
        job=job,
        form=form,
        details=job.preview_details,
        fields=csv_io.FIELD_LABELS,
        describe=csv_io.describe_problem,
    )


@bp.route("/import/<int:job_id>/progress")
@owner_required
def import_progress(job_id: int):
    job = get_or_404(ImportJob, job_id)
    if job.status == ImportStatus.PENDING:
        return redirect(url_for("member_io.import_preview", job_id=job.id))
    page = render_template("member_io/progress.html", job=job, describe=csv_io.describe_problem)
    response = Response(page)
    if not job.finished:
        # Reload until done, without JavaScript (the page also carries the same meta refresh).
        response.headers["Refresh"] = "2"
    return response


def _csv_download(chunks, name: str) -> Response:
    today = datetime.now(ZoneInfo(g.tenant.timezone)).strftime("%Y%m%d")
    return Response(
        chunks,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}-{g.tenant.slug}-{today}.csv"},
    )


@bp.route("/export.csv")
@owner_required
def export_members():
    return _csv_download(csv_io.members_csv(g.tenant), "members")


@bp.route("/purchases/export.csv")
@owner_required
def export_purchases():
    return _csv_download(csv_io.purchases_csv(g.tenant), "purchases")
