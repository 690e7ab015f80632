"""QF by SMS: the owner's broadcast to one of the shop's subscription lists, sized and priced first and sent
only when the owner answers `Y` within CONFIRM_WITHIN.

The audience is counted again at `Y` (someone may have left the list or opted out meanwhile), and each
message's dedupe key names the pending broadcast and the member, so a second `Y` or a re-routed one sends
nothing twice. The messaging pipeline still applies opt-out, quiet hours and the daily cap on the way out.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, select, update

from mcrm.apps.models import AppKind, AppSubscriber, KeywordApp
from mcrm.credits.services import NotEnoughCredit, credit_balance
from mcrm.db import db
from mcrm.keywords.models import PendingBroadcast
from mcrm.keywords.normalise import normalise
from mcrm.members.models import Member
from mcrm.messaging.counter import cost
from mcrm.messaging.models import Message, MessageKind
from mcrm.messaging.policies import quiet_until
from mcrm.messaging.services import SmsRequest, queue_many
from tenants.models import Tenant, User

CONFIRM_WITHIN = dt.timedelta(minutes=10)
# A `Y` this long after a broadcast expired is told so; later, it is an ordinary text again.
EXPIRY_NOTICE_FOR = dt.timedelta(days=1)
# A list named in QF by its keyword or its name, which may have spaces ("New products"): up to this many words.
MAX_NAME_WORDS = 5
MAX_LISTS_SHOWN = 5


def prepare(tenant: Tenant, user: User, message: Message, rest: str, now: dt.datetime) -> str:
    """`QF <list> <text>`: answer the audience and the credit it would cost, and keep it waiting for `Y`."""
    if not user.is_owner:
        return owner_only()
    lists = _lists(tenant)
    if not lists:
        return _("This shop has no subscription lists to send to yet.")
    app, text = _split_list(lists, rest)
    if app is None or not text:
        names = ", ".join(sorted({a.keyword.upper() for a in lists.values()})[:MAX_LISTS_SHOWN])
        return _("Format: QF <list> <text>. Your lists: %(lists)s", lists=names)
    audience = _count(_audience(tenant, app.id))
    if audience == 0:
        return _("Nobody on '%(list)s' can receive offers now: nothing to send.", list=app.name)
    credits = cost(tenant, text, MessageKind.MARKETING).credits * audience
    left = credit_balance(tenant)
    if credits > left:
        return _(
            "QF to '%(list)s' would cost %(credits)s credits and %(left)s are left: top up first.",
            list=app.name,
            credits=f"{credits:,}",
            left=f"{left:,}",
        )
    db.add(
        PendingBroadcast(
            tenant_id=tenant.id,
            user_id=user.id,
            phone=message.phone,
            app_id=app.id,
            text=text,
            audience=audience,
            credits=credits,
            expires_at=now + CONFIRM_WITHIN,
        )
    )
    return ngettext(
        "QF to '%(list)s': %(num)d member, credit cost %(credits)s (%(left)s left). Reply Y within 10 minutes to send.",
        "QF to '%(list)s': %(num)d members, credit cost %(credits)s (%(left)s left). Reply Y within 10 minutes "
        "to send.",
        audience,
        list=app.name,
        credits=f"{credits:,}",
        left=f"{left:,}",
    )


def confirm(tenant: Tenant, user: User, message: Message, now: dt.datetime) -> str | None:
    """`Y`: send the user's latest broadcast waiting from this phone; None when there is none (the text is
    then a consumer's)."""
    pending = db.scalar(
        select(PendingBroadcast)
        .where(
            PendingBroadcast.tenant_id == tenant.id,
            PendingBroadcast.user_id == user.id,
            PendingBroadcast.phone == message.phone,
            PendingBroadcast.sent_at.is_(None),
            PendingBroadcast.expires_at > now - EXPIRY_NOTICE_FOR,
        )
        .order_by(PendingBroadcast.id.desc())
        .limit(1)
    )
    if pending is None:
        return None
    if not user.is_owner:
        return owner_only()  # demoted since the QF
    app = db.get(KeywordApp, pending.app_id)
    if pending.expires_at <= now:
        return _("Your QF to '%(list)s' expired after 10 minutes: send it again.", list=app.name)
    members = db.execute(_audience(tenant, app.id)).all()
    if not members:
        return _("Nobody on '%(list)s' can receive offers now: nothing to send.", list=app.name)
    requests = [
        SmsRequest(phone, pending.text, MessageKind.MARKETING, dedupe_key=f"qf:{pending.id}:{member_id}")
        for member_id, phone in members
    ]
    try:
        with db.begin_nested():
            # Claimed first: a second `Y` arriving meanwhile waits on this row, then finds it sent.
            claimed = db.execute(
                update(PendingBroadcast)
                .where(PendingBroadcast.id == pending.id, PendingBroadcast.sent_at.is_(None))
                .values(sent_at=now)
            ).rowcount
            if claimed:
                queue_many(tenant, requests, now=now)
    except NotEnoughCredit as error:
        return str(error)  # nothing queued and the broadcast still waits: a top-up and another Y send it
    if not claimed:
        return _("Your QF to '%(list)s' was already sent.", list=app.name)
    reply = ngettext(
        "QF to '%(list)s' queued for %(num)d member.",
        "QF to '%(list)s' queued for %(num)d members.",
        len(requests),
        list=app.name,
    )
    resume_at = quiet_until(tenant, now)
    if resume_at is not None:
        local = resume_at.astimezone(ZoneInfo(tenant.timezone))
        reply += " " + _("Quiet hours: it goes out at %(time)s.", time=local.strftime("%H:%M"))
    return reply


def owner_only() -> str:
    return _("Only the shop's owner can send a QF broadcast.")


def _lists(tenant: Tenant) -> dict[str, KeywordApp]:
    """The shop's subscription lists by their normalised keyword and name."""
    apps = db.scalars(
        select(KeywordApp)
        .where(KeywordApp.tenant_id == tenant.id, KeywordApp.kind == AppKind.SUBSCRIPTION)
        .order_by(KeywordApp.id)
    ).all()
    named = {normalise(app.name): app for app in apps if normalise(app.name)}
    return named | {app.keyword: app for app in apps}  # a keyword wins over another list's name


def _split_list(lists: dict[str, KeywordApp], rest: str) -> tuple[KeywordApp | None, str]:
    """The list `rest` starts with (the longest name that matches) and the text after it, as typed."""
    words = list(re.finditer(r"\S+", rest))
    for count in range(min(len(words), MAX_NAME_WORDS), 0, -1):
        end = words[count - 1].end()
        app = lists.get(normalise(rest[:end]))
        if app is not None:
            return app, rest[end:].strip()
    return None, ""


def _audience(tenant: Tenant, app_id: int) -> Select:
    """(member id, phone) of everyone on the list who has not opted out."""
    return (
        select(Member.id, Member.phone)
        .join(AppSubscriber, AppSubscriber.member_id == Member.id)
        .where(
            AppSubscriber.tenant_id == tenant.id,
            AppSubscriber.app_id == app_id,
            AppSubscriber.left_at.is_(None),
            Member.tenant_id == tenant.id,
            Member.opted_out_at.is_(None),
        )
        .order_by(Member.id)
    )


def _count(query: Select) -> int:
    return db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
