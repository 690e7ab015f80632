"""The placeholders an owner may write in an app's texts: {name}, {points}, {shop} (and {key}, {value} in a
look-up's answer). Anything else in braces is left as typed, so a stray brace never breaks a reply."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from mcrm.members.models import Member
from tenants.models import Tenant

PLACEHOLDER = re.compile(r"\{(\w+)\}")
KNOWN = ("name", "points", "shop")


def fill(text: str, tenant: Tenant, member: Member | None, **extra: object) -> str:
    values = {
        # "Hello {name}" must still read well for someone whose name the shop does not know.
        "name": (member.name if member else "") or _("friend"),
        "points": member.points_balance if member else 0,
        "shop": tenant.name,
        **extra,
    }
    return substitute(text, values)


def substitute(text: str, values: dict[str, object]) -> str:
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text).strip()
