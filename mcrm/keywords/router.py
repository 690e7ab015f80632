"""The inbound router: what a consumer's text does and what the shop answers.

Order: system keywords, then (once they exist) the shop's keyword apps and open conversations, otherwise
a help reply. At most MAX_REPLIES_PER_HOUR automatic replies go to one phone per shop per hour, so two
robots cannot keep each other talking. Replies are in English when the consumer used an English keyword,
otherwise in the shop's language.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from mcrm.db import db, utcnow
from mcrm.feedback.models import FeedbackKind
from mcrm.feedback.services import file_feedback
from mcrm.keywords import merchant
from mcrm.keywords.system import ENGLISH_KEYWORDS, Action, Match, asks_to_stop, match
from mcrm.members.birthdays import parse_birthday
from mcrm.members.models import Member, Source
from mcrm.members.services import MemberError, create_member
from mcrm.messaging.models import Direction, Message, MessageKind
from mcrm.points.models import Reward
from tenants.models import Tenant, User

MAX_REPLIES_PER_HOUR = 5
FEEDBACK_KINDS = {
    Action.FEEDBACK: FeedbackKind.FEEDBACK,
    Action.COMPLAINT: FeedbackKind.COMPLAINT,
    Action.SUGGESTION: FeedbackKind.SUGGESTION,
}


@dataclass
class Batch:
    """What the router looks up once for a shop's batch of texts: the senders' member records and how many
    automatic replies each phone already had this hour (counting the ones decided in this batch)."""

    members: dict[str, Member]
    replies: Counter
    staff: dict[str, User]  # the shop's active owners and staff, by their registered mobile

    @classmethod
    def load(cls, tenant: Tenant, phones: set[str], now: dt.datetime) -> Batch:
        members = db.scalars(select(Member).where(Member.tenant_id == tenant.id, Member.phone.in_(phones)))
        replies = db.execute(
            select(Message.phone, func.count())
            .where(
                Message.tenant_id == tenant.id,
                Message.phone.in_(phones),
                Message.direction == Direction.OUT,
                Message.kind == MessageKind.REPLY,
                Message.created_at > now - dt.timedelta(hours=1),
            )
            .group_by(Message.phone)
        )
        staff = db.scalars(
            select(User).where(User.tenant_id == tenant.id, User.active.is_(True), User.phone.in_(phones))
        )
        return cls(
            {m.phone: m for m in members},
            Counter({phone: count for phone, count in replies}),
            {user.phone: user for user in staff},
        )


def respond(tenant: Tenant, message: Message, batch: Batch, now: dt.datetime | None = None) -> str | None:
    """Carry out what `message` asks and return the reply to send (None: send nothing). The caller commits,
    and should hold a savepoint around it when writes() says the text changes anything."""
    now = now or utcnow()
    user = batch.staff.get(message.phone)
    if user is not None:
        # A person at the shop working, not a robot: no hourly cap on the answers to commands.
        with force_locale(user.locale or tenant.locale):
            reply = merchant.command(tenant, user, message, now)
        if reply is not None:
            return reply
    found = match(message.body)
    member = batch.members.get(message.phone)
    locale = "en" if found and found.keyword in ENGLISH_KEYWORDS else tenant.locale
    with force_locale(locale):
        reply = _act(tenant, message, member, found, now)
    if reply is None or batch.replies[message.phone] >= MAX_REPLIES_PER_HOUR:
        return None
    batch.replies[message.phone] += 1
    return reply


def writes(body: str) -> bool:
    """Whether routing this text may change data (a member, consent, the inbox), not only answer."""
    if body.lstrip()[:1] in ("X", "x", "C", "c", "Q", "q", "Y", "y"):
        return True  # may be a shop command (XF, CX, QF, Y)
    found = match(body)
    if found is None:
        return asks_to_stop(body)
    return found.action not in (Action.HELP, Action.POINTS)


def _act(tenant: Tenant, message: Message, member: Member | None, found: Match | None, now: dt.datetime) -> str:
    shop = tenant.name
    if found is None:
        if asks_to_stop(message.body):
            _file(tenant, message, member, FeedbackKind.STOP_REQUEST, message.body)
            return _("To stop messages from %(shop)s, text TD.", shop=shop)
        return help_reply()
    action = found.action
    if action == Action.HELP:
        return help_reply()
    if action == Action.JOIN:
        return _join(tenant, message, member, found.argument, now)
    if action == Action.POINTS:
        return _points(tenant, member)
    if action == Action.STOP:
        if member is not None and member.opted_out_at is None:
            member.opted_out_at = now
        return _("Unsubscribed: no more offers from %(shop)s. Text START to undo.", shop=shop)
    if action == Action.RESUME:
        if member is None:
            return _("You are not a member of %(shop)s yet. Text ZC and your name to join.", shop=shop)
        _consent(member, message, now)
        return _("Welcome back! %(shop)s will send you offers again. Text TD to stop.", shop=shop)
    kind = FEEDBACK_KINDS[action]
    if not found.argument:
        return _(
            "Please text %(keyword)s followed by what you want to tell %(shop)s.",
            keyword=found.keyword.upper(),
            shop=shop,
        )
    _file(tenant, message, member, kind, found.argument)
    return _("Thank you. %(shop)s has received your message and will reply soon.", shop=shop)


def help_reply() -> str:
    # Short enough for one SMS with the signature, in UCS-2 too: a help text should not cost two.
    return _("Text ZC to join, JF for points, FK + feedback, TD to stop.")


def _join(tenant: Tenant, message: Message, member: Member | None, argument: str, now: dt.datetime) -> str:
    if member is not None:
        if member.opted_out_at is not None:
            _consent(member, message, now)
        return _(
            "You are already a member of %(shop)s (%(phone)s) with %(points)d points.",
            shop=tenant.name,
            phone=member.phone,
            points=member.points_balance,
        )
    name, birthday = _name_and_birthday(argument)
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
        return str(error)
    db.flush()
    return _(
        "Welcome to %(shop)s! %(points)d points. JF for balance, TD to stop.",
        shop=tenant.name,
        points=member.points_balance,
    )


def _name_and_birthday(argument: str):
    """`张三 0815`, `Li Lei 1990-08-15`, `张三 农历0815`: a birthday is the last word when it reads as one."""
    words = argument.split()
    if words:
        birthday = parse_birthday(words[-1])
        if birthday is not None:
            return " ".join(words[:-1])[:80], birthday
    return argument[:80], None


def _points(tenant: Tenant, member: Member | None) -> str:
    if member is None:
        return _("You are not a member of %(shop)s yet. Text ZC and your name to join.", shop=tenant.name)
    balance = member.points_balance
    rewards = db.scalars(
        select(Reward).where(Reward.tenant_id == tenant.id, Reward.active.is_(True)).order_by(Reward.points_cost)
    ).all()
    affordable = [r for r in rewards if r.points_cost <= balance]
    nearest = next((r for r in rewards if r.points_cost > balance), None)
    text = _("You have %(points)d points at %(shop)s.", points=balance, shop=tenant.name)
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


def _file(tenant: Tenant, message: Message, member: Member | None, kind: FeedbackKind, text: str) -> None:
    file_feedback(tenant, kind=kind, text=text, message=message, member=member)
