"""What each system keyword does (join, points, stop, resume, help, feedback) and the reply it gets.

The replies come from `replies.py`, so the owner's wording is used when they changed it.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from mcrm.db import db
from mcrm.feedback.models import FeedbackKind
from mcrm.feedback.services import file_feedback
from mcrm.keywords.replies import reply_text
from mcrm.keywords.system import ENGLISH_KEYWORDS, Action, Match
from mcrm.members.birthdays import parse_birthday
from mcrm.members.models import Member, Source
from mcrm.members.services import MemberError, create_member
from mcrm.messaging.models import Message
from mcrm.points.models import Reward
from tenants.models import Tenant

FEEDBACK_KINDS = {
    Action.FEEDBACK: FeedbackKind.FEEDBACK,
    Action.COMPLAINT: FeedbackKind.COMPLAINT,
    Action.SUGGESTION: FeedbackKind.SUGGESTION,
}
HELP_APPS_SHOWN = 4


def act(
    tenant: Tenant,
    message: Message,
    member: Member | None,
    found: Match,
    texts: dict[tuple[str, str], str],
    now: dt.datetime,
) -> tuple[str, Member | None]:
    """Carry out system keyword `found`; the reply, and the sender's member record (new after a join)."""
    shop = tenant.name
    action = found.action
    if action == Action.JOIN:
        return _join(tenant, message, member, found, texts, now)
    if action == Action.POINTS:
        return _points(tenant, member, texts), member
    if action == Action.STOP:
        if member is not None and member.opted_out_at is None:
            member.opted_out_at = now
        return reply_text(texts, "stop", shop=shop), member
    if action == Action.RESUME:
        if member is None:
            return reply_text(texts, "not_member", shop=shop), member
        _consent(member, message, now)
        return reply_text(texts, "resume", shop=shop, name=member.name, points=member.points_balance), member
    if action == Action.HELP:
        return reply_text(texts, "help", shop=shop), member
    if not found.argument:
        return (
            _(
                "Please text %(keyword)s followed by what you want to tell %(shop)s.",
                keyword=found.keyword.upper(),
                shop=shop,
            ),
            member,
        )
    file_feedback(tenant, kind=FEEDBACK_KINDS[action], text=found.typed, message=message, member=member, now=now)
    return reply_text(texts, "feedback", shop=shop), member


def help_reply(texts: dict[tuple[str, str], str], tenant: Tenant, app_keywords: list[str]) -> str:
    """What can be texted: the system keywords, and a few of the shop's apps."""
    text = reply_text(texts, "help", shop=tenant.name)
    if app_keywords:
        shown = ", ".join(keyword.upper() for keyword in sorted(app_keywords)[:HELP_APPS_SHOWN])
        text += " " + _("Also: %(keywords)s.", keywords=shown)
    return text


def asked_to_stop(tenant: Tenant, message: Message, member: Member | None, now: dt.datetime) -> str:
    """Free text that seems to ask not to be texted: a person at the shop judges it; the sender learns how."""
    file_feedback(tenant, kind=FeedbackKind.STOP_REQUEST, text=message.body, message=message, member=member, now=now)
    return _("To stop messages from %(shop)s, text TD.", shop=tenant.name)


def _join(
    tenant: Tenant,
    message: Message,
    member: Member | None,
    found: Match,
    texts: dict[tuple[str, str], str],
    now: dt.datetime,
) -> tuple[str, Member | None]:
    if member is not None:
        if member.opted_out_at is not None:
            _consent(member, message, now)
        reply = reply_text(
            texts,
            "already_member",
            shop=tenant.name,
            phone=member.phone,
            points=member.points_balance,
            name=member.name,
        )
        return reply, member
    name, birthday = _name_and_birthday(found.argument)
    try:
        member = create_member(
            tenant,
            phone=message.phone,
            source=Source.SMS,
            name=name,
            birthday=birthday,
            consent_evidence=f"SMS #{message.id}: {message.body[:150]}",
        )
    except MemberError as error:
        return str(error), None
    if found.keyword in ENGLISH_KEYWORDS and tenant.locale != "en":
        member.locale = "en"  # they wrote to us in English: keep answering in English
    db.flush()
    return reply_text(texts, "welcome", shop=tenant.name, points=member.points_balance, name=member.name), member


def _name_and_birthday(argument: str):
    """`张三 0815`, `Li Lei 1990-08-15`, `张三 农历0815`: a birthday is the last word when it reads as one."""
    words = argument.split()
    if words:
        birthday = parse_birthday(words[-1])
        if birthday is not None:
            return " ".join(words[:-1])[:80], birthday
    return argument[:80], None


def _points(tenant: Tenant, member: Member | None, texts: dict[tuple[str, str], str]) -> str:
    if member is None:
        return reply_text(texts, "not_member", shop=tenant.name)
    balance = member.points_balance
    rewards = db.scalars(
        select(Reward).where(Reward.tenant_id == tenant.id, Reward.active.is_(True)).order_by(Reward.points_cost)
    ).all()
    affordable = [r for r in rewards if r.points_cost <= balance]
    nearest = next((r for r in rewards if r.points_cost > balance), None)
    text = reply_text(texts, "points", points=balance, shop=tenant.name, name=member.name)
    if affordable:
        text += " " + _("Enough for: %(reward)s.", reward=affordable[-1].name)
    elif nearest is not None:
        text += " " + _("%(missing)d more for %(reward)s.", missing=nearest.points_cost - balance, reward=nearest.name)
    return text


def _consent(member: Member, message: Message, now: dt.datetime) -> None:
    member.opted_out_at = None
    member.consent_source, member.consent_at = Source.SMS, now
    member.consent_evidence = f"SMS #{message.id}: {message.body[:150]}"
    member.consent_by_user_id = None
