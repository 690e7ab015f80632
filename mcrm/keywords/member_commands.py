"""XF and CX by SMS: a member found by phone or last four digits, a purchase booked, a balance told.

A full number that is not a member's creates no member: a digit mistyped on a phone keypad would sign up a
stranger for the shop's offers, with no one having seen the number before it was saved (the WAP page shows
it). The reply says how the customer joins instead.
"""

from __future__ import annotations

import re
import unicodedata
from zoneinfo import ZoneInfo

import phonenumbers
from flask_babel import gettext as _

from mcrm.members.models import Member
from mcrm.members.services import MemberError, find_at_counter, find_by_phone, member_phone
from mcrm.messaging.models import Message
from mcrm.points.models import Channel
from mcrm.points.services import PointsError, parse_amount, record_purchase
from tenants.models import Tenant, User
from tenants.numbers import sms_number

# Members listed when four digits match several: more would not fit a text worth reading.
MAX_CANDIDATES = 4
# Names are cut in replies so that a reply stays one SMS.
NAME_LENGTH = 12
# `8000 58`, `138 0013 8000 ¥58.50`, `+8613800138000 58元`: who, then the amount (currency marks allowed).
_PURCHASE = re.compile(r"^(?P<who>\+?[\d()\- ]*\d)\s+[¥$]?\s*(?P<amount>\S+?)\s*(?:元|块|rmb|cny)?$", re.IGNORECASE)
_WHO = re.compile(r"^\+?[\d()\- ]*\d$")


def purchase(tenant: Tenant, user: User, message: Message, rest: str) -> str:
    """`XF <phone or last 4> <amount>`: book the purchase once per inbound message, however often it is
    routed, and answer the points earned and the new balance."""
    found = _PURCHASE.match(_plain(rest))
    if found is None:
        return purchase_format()
    member = find_member(tenant, found["who"])
    if isinstance(member, str):
        return member
    try:
        amount = parse_amount(found["amount"])
        booking = record_purchase(
            tenant,
            member,
            amount,
            channel=Channel.SMS,
            occurred_at=message.created_at,
            by_user=user,
            idempotency_key=f"sms-xf:{message.id}",
        )
    except PointsError as error:
        return f"{error} {purchase_format()}"
    # From the entry, not the member: a replayed message answers what was booked the first time.
    return _(
        "%(member)s: %(amount)s recorded, +%(points)d points, balance %(balance)d.",
        member=shown_member(tenant, member),
        amount=amount,
        points=booking.entry.points,
        balance=booking.entry.balance_after,
    )


def look_up(tenant: Tenant, rest: str) -> str:
    """`CX <phone or last 4>`: the member's name, balance and last visit (its date in the shop)."""
    who = _plain(rest)
    if not _WHO.match(who):
        return _("Format: CX <phone or last 4 digits>")
    member = find_member(tenant, who)
    if isinstance(member, str):
        return member
    if member.last_visit_at is None:
        return _(
            "%(member)s: %(points)d points, no visit yet.",
            member=shown_member(tenant, member),
            points=member.points_balance,
        )
    return _(
        "%(member)s: %(points)d points, last visit %(date)s.",
        member=shown_member(tenant, member),
        points=member.points_balance,
        date=member.last_visit_at.astimezone(ZoneInfo(tenant.timezone)).date().isoformat(),
    )


def find_member(tenant: Tenant, who: str) -> Member | str:
    """The one member `who` (a number, or its last four digits) names, or the reply saying why there is
    none: no such member, or several for four digits (listed, never guessed)."""
    digits = re.sub(r"\D", "", who)
    if len(digits) == 4:
        members = find_at_counter(tenant, digits, limit=MAX_CANDIDATES + 1)
        if not members:
            return _("No member's number ends in %(digits)s.", digits=digits)
        if len(members) == 1:
            return members[0]
        listed = ", ".join(shown_member(tenant, m, with_phone=True) for m in members[:MAX_CANDIDATES])
        if len(members) > MAX_CANDIDATES:
            listed += ", …"
        return _("Several numbers end in %(digits)s: %(members)s. Send the full number.", digits=digits, members=listed)
    try:
        phone = member_phone(tenant, who)
    except MemberError as error:
        return str(error)
    member = find_by_phone(tenant, phone)
    if member is None:
        return _(
            "No member %(phone)s. To join, they text ZC to %(number)s.",
            phone=shown_phone(tenant, phone),
            number=sms_number(tenant),
        )
    return member


def purchase_format() -> str:
    return _("Format: XF <phone or last 4 digits> <amount>")


def shown_member(tenant: Tenant, member: Member, *, with_phone: bool = False) -> str:
    """`Zhang San (8000)`, or the number when there is no name; `Zhang San 13800138000` to tell several apart."""
    name = member.name.strip()[:NAME_LENGTH]
    if not name:
        return shown_phone(tenant, member.phone)
    return f"{name} {shown_phone(tenant, member.phone)}" if with_phone else f"{name} ({member.phone_tail})"


def shown_phone(tenant: Tenant, phone: str) -> str:
    """The number as people in the shop's country type it (13800138000); foreign ones in E.164."""
    number = phonenumbers.parse(phone)
    if phonenumbers.region_code_for_number(number) == tenant.country:
        return phonenumbers.national_significant_number(number)
    return phone


def _plain(text: str) -> str:
    # Full-width digits and signs folded, runs of spaces made one; unlike normalise(), a leading + is kept.
    return " ".join(unicodedata.normalize("NFKC", text).split())
