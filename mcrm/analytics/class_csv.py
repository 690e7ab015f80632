"""One RFM class's members as a CSV file, in the same format conventions as the member export."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from mcrm.analytics.models import RfmClass
from mcrm.analytics.rfm import members_in_class
from mcrm.members.csv_io import csv_stream, export_phone, local_time_formatter
from tenants.models import Tenant

HEADER = (
    _l("Mobile"),
    _l("Name"),
    _l("Recency score"),
    _l("Frequency score"),
    _l("Spend score"),
    _l("Purchases in the scoring window"),
    _l("Spent in the scoring window"),
    _l("Last visit"),
    _l("Total spent"),
)


def class_members_csv(tenant: Tenant, rfm_class: RfmClass) -> Iterator[bytes]:
    """The class's members, biggest spenders first as on the page; headings in the reader's language."""
    when, country = local_time_formatter(ZoneInfo(tenant.timezone)), tenant.country

    def cells(item) -> list[str]:
        member, score = item
        return [
            export_phone(member.phone, country),
            member.name,
            str(score.r),
            str(score.f),
            str(score.m),
            str(score.frequency),
            f"{score.monetary:.2f}",
            when(member.last_visit_at),
            f"{member.total_spent:.2f}",
        ]

    return csv_stream(tenant.id, [str(h) for h in HEADER], members_in_class(tenant, rfm_class), cells)
