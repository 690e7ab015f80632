"""Saving, listing and deleting a shop's segments, and the catalogue the builder page draws from.
Views call these; they do not commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from mcrm.db import db
from mcrm.segments.compile import count_audience
from mcrm.segments.conditions import FIELDS, SegmentError, parse_definition
from mcrm.segments.models import Segment
from tenants.models import Tenant

MAX_NAME = 60  # the column's width


class DuplicateName(SegmentError):
    """Another segment of the shop has this name."""


@dataclass(frozen=True)
class Listed:
    segment: Segment
    count: int | None
    error: str | None  # why it cannot be counted (e.g. a tag it names was deleted)


def _name(tenant: Tenant, name: str, segment: Segment | None) -> str:
    name = (name or "").strip()
    if not name:
        raise SegmentError(_("Give the segment a name."))
    if len(name) > MAX_NAME:
        raise SegmentError(_("A name has at most %(max)s characters.", max=MAX_NAME))
    taken = select(func.count()).where(Segment.tenant_id == tenant.id, Segment.name == name)
    if segment is not None:
        taken = taken.where(Segment.id != segment.id)
    if db.scalar(taken):
        raise DuplicateName(_("There is already a segment called “%(name)s”: choose another name.", name=name))
    return name


def save_segment(tenant: Tenant, segment: Segment | None, name: str, definition: dict | str) -> Segment:
    """Create (segment None) or change a segment; the definition is stored normalised."""
    name = _name(tenant, name, segment)
    normalised = parse_definition(tenant, definition).as_json()
    if segment is None:
        segment = Segment(tenant_id=tenant.id, name=name, definition=normalised)
        db.add(segment)
    else:
        segment.name, segment.definition = name, normalised
    db.flush()
    return segment


def delete_segment(segment: Segment) -> None:
    # Promotions keep their own copy of the conditions; their link to the segment is set to NULL.
    db.delete(segment)
    db.flush()


def listed_segments(tenant: Tenant, now: dt.datetime) -> list[Listed]:
    """The shop's segments by name, each with its live count (one query each)."""
    listed = []
    for segment in db.scalars(select(Segment).where(Segment.tenant_id == tenant.id).order_by(Segment.name)):
        try:
            listed.append(Listed(segment, count_audience(tenant, segment.definition, now), None))
        except SegmentError as error:
            listed.append(Listed(segment, None, str(error)))
    return listed


def catalogue(tenant: Tenant) -> dict:
    """The fields, their tests and the shop's choices, for the builder (segments.js), in the reader's language."""
    return {
        "matches": [{"id": "all", "label": _("all")}, {"id": "any", "label": _("any")}],
        "fields": [
            {
                "id": field,
                "label": str(cls.label),
                "help": str(cls.help),
                "ops": [{"id": op.id, "label": str(op.label), "kind": op.kind} for op in cls.ops],
                "options": [{"value": value, "label": label} for value, label in cls.options(tenant)],
            }
            for field, cls in FIELDS.items()
        ],
        "words": {
            "min": _("from"),
            "max": _("to"),
            "from": _("from"),
            "to": _("to"),
            "none_yet": _("There is nothing to choose yet."),
            "remove": _("Remove"),
            "add_condition": _("+ Add condition"),
            "remove_group": _("Remove group"),
            "group": _("Group %(number)s: members who match", number="{n}"),
            "of_these": _("of these conditions"),
            "counting": _("Counting…"),
            "match_label": _("How the groups combine"),
            "match_before": _("Members who match"),
            "match_after": _("of the groups below"),
            "add_group": _("+ Add group"),
        },
    }
