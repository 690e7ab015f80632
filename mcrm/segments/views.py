"""The owner's segments (顾客分群): the builder with its live count, saved segments."""

from __future__ import annotations

import json

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import format_number, ngettext
from flask_babel import gettext as _

from mcrm.analytics.models import RfmClass
from mcrm.analytics.rfm_classes import CLASS_LABELS
from mcrm.auth.decorators import owner_required
from mcrm.db import db, utcnow
from mcrm.segments.compile import count_audience
from mcrm.segments.conditions import SegmentError, parse_definition
from mcrm.segments.forms import DeleteSegmentForm, SegmentForm
from mcrm.segments.models import Segment
from mcrm.segments.services import DuplicateName, catalogue, delete_segment, listed_segments, save_segment
from tenants.isolation import get_or_404

bp = Blueprint("segments", __name__, url_prefix="/segments")


def audience_text(count: int) -> str:
    """ "1,234 members will receive it", with the number in the reader's format."""
    return ngettext(
        "%(count)s member will receive it",
        "%(count)s members will receive it",
        count,
        count=format_number(count),
    )


@bp.route("/")
@owner_required
def index():
    return render_template(
        "segments/index.html",
        listed=listed_segments(g.tenant, utcnow()),
        delete_form=DeleteSegmentForm(),
        number=format_number,
    )


@bp.route("/new", methods=["GET", "POST"])
@owner_required
def create():
    return _builder(None)


@bp.route("/<int:segment_id>", methods=["GET", "POST"])
@owner_required
def edit(segment_id: int):
    return _builder(get_or_404(Segment, segment_id))


def _builder(segment: Segment | None):
    form = SegmentForm(obj=segment)
    if segment is not None and request.method == "GET":
        form.definition.data = json.dumps(segment.definition, ensure_ascii=False)
    elif request.method == "GET" and request.args.get("rfm") in set(RfmClass):
        # From an RFM class's page: the builder opens with that class as its one condition.
        rfm_class = RfmClass(request.args["rfm"])
        form.name.data = str(CLASS_LABELS[rfm_class])
        form.definition.data = json.dumps(_one_condition({"field": "rfm", "op": "in", "value": [rfm_class.value]}))
    if form.validate_on_submit():
        try:
            segment = save_segment(g.tenant, segment, form.name.data, form.definition.data)
        except DuplicateName as error:
            db.rollback()
            form.name.errors.append(str(error))
        except SegmentError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash(_("Segment “%(name)s” saved.", name=segment.name), "success")
            return redirect(url_for(".edit", segment_id=segment.id))
    return render_template(
        "segments/builder.html",
        segment=segment,
        form=form,
        catalogue=catalogue(g.tenant),
        delete_form=DeleteSegmentForm(),
    )


def _one_condition(condition: dict) -> dict:
    return {"match": "all", "groups": [{"match": "all", "conditions": [condition]}]}


@bp.route("/<int:segment_id>/delete", methods=["POST"])
@owner_required
def delete(segment_id: int):
    segment = get_or_404(Segment, segment_id)
    if DeleteSegmentForm().validate_on_submit():
        name = segment.name
        delete_segment(segment)
        db.commit()
        flash(_("Segment “%(name)s” deleted.", name=name), "success")
    return redirect(url_for(".index"))


@bp.route("/count", methods=["POST"])
@owner_required
def count():
    """How many members the definition in the JSON body reaches now, or why it cannot be counted."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error=_("The conditions could not be read: please build them again.")), 400
    try:
        definition = parse_definition(g.tenant, body.get("definition") or {})
    except SegmentError as error:
        return jsonify(error=str(error)), 400
    number = count_audience(g.tenant, definition, utcnow())
    return jsonify(count=number, text=audience_text(number))
