"""A definition as one SQL statement: the ids of the shop's matching members who have not opted out.

The statement is used inside INSERT … SELECT, where the ORM's tenant scoping does not apply, so it and
every subquery of every condition filter `tenant_id` explicitly.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.segments.conditions import Definition, combine, parse_definition
from tenants.models import Tenant


def audience_query(tenant: Tenant, definition: Definition | dict | str, now: dt.datetime) -> Select:
    """SELECT member_id of the shop's members who match `definition` and have not opted out."""
    definition = parse_definition(tenant, definition)
    groups = [
        combine(group.match, [condition.clause(tenant, now) for condition in group.conditions])
        for group in definition.groups
    ]
    query = select(Member.id.label("member_id")).where(Member.tenant_id == tenant.id, Member.opted_out_at.is_(None))
    if groups:
        query = query.where(combine(definition.match, groups))
    return query


def count_audience(tenant: Tenant, definition: Definition | dict | str, now: dt.datetime) -> int:
    audience = audience_query(tenant, definition, now).subquery()
    return db.scalar(select(func.count()).select_from(audience))


def describe(tenant: Tenant, definition: Definition | dict | str) -> list[str]:
    """One line per group, e.g. "Tag is VIP and Points ≥ 500"; lines after the first start with "or"/"and"."""
    definition = parse_definition(tenant, definition)
    if not definition.groups:
        return [_("Every member who has not opted out")]
    lines = []
    for number, group in enumerate(definition.groups):
        joiner = _(" and ") if group.match == "all" else _(" or ")
        line = joiner.join(condition.describe(tenant) for condition in group.conditions)
        if number:
            if definition.match == "all":
                line = _("and %(conditions)s", conditions=line)
            else:
                line = _("or %(conditions)s", conditions=line)
        lines.append(line)
    return lines
