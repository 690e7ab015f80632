"""The inbound router: what a consumer's text does and what the shop answers.

Order, first match wins:
1. a text from the registered mobile of one of the shop's active users that is a shop command (XF, CX, QF);
2. the sender's open conversation (a form app or a survey) takes the text as its answer, except a stop, which
   ends it;
3. the system keywords and the shop's aliases for them;
4. the keywords of the shop's open surveys;
5. the shop's keyword apps;
6. free text that asks to stop goes to the inbox; anything else gets the help reply.

At most MAX_REPLIES_PER_HOUR automatic replies go to one phone per shop per hour (a survey's questions aside),
so two robots cannot keep each other talking. Replies are in the member's language when it is known, else in
English when the text used an English keyword, else in the shop's language.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import force_locale
from sqlalchemy import func, select

from mcrm.apps.models import Conversation, ConversationKind, KeywordApp
from mcrm.apps.runtime import (
    continue_conversation,
    enabled_apps,
    find_app,
    open_conversations,
    run_app,
)
from mcrm.db import db, utcnow
from mcrm.keywords import merchant
from mcrm.keywords.actions import act, asked_to_stop, help_reply
from mcrm.keywords.models import KeywordAlias
from mcrm.keywords.replies import shop_texts
from mcrm.keywords.system import ENGLISH_KEYWORDS, Action, Match, asks_to_stop, match
from mcrm.members.models import Member
from mcrm.messaging.models import Direction, Message, MessageKind
from mcrm.surveys.models import Survey
from mcrm.surveys.runtime import continue_survey, find_survey, keyword_surveys, start_survey
from tenants.models import Tenant, User

MAX_REPLIES_PER_HOUR = 5


@dataclass
class Batch:
    """What the router looks up once for a shop's batch of texts (so a busy shop's thousand texts cost a
    few queries, not thousands): the senders' members, open conversations and shop users, how many automatic
    replies each phone already had this hour, and the shop's aliases, apps and reply wording."""

    members: dict[str, Member]
    replies: Counter
    staff: dict[str, User]  # the shop's active owners and staff, by their registered mobile
    conversations: dict[str, Conversation]
    aliases: dict[str, Action]
    apps: dict[str, KeywordApp]
    surveys: dict[str, Survey]  # the open surveys a keyword starts
    texts: dict[tuple[str, str], str]
    matches: dict[int, Match | None] = field(default_factory=dict)  # by message id: matched once, used twice

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
        aliases = db.execute(select(KeywordAlias.alias, KeywordAlias.action).where(KeywordAlias.tenant_id == tenant.id))
        return cls(
            members={m.phone: m for m in members},
            replies=Counter({phone: count for phone, count in replies}),
            staff={user.phone: user for user in staff},
            conversations=open_conversations(tenant.id, phones, now),
            aliases={alias: action for alias, action in aliases},
            apps=enabled_apps(tenant.id),
            surveys=keyword_surveys(tenant.id),
            texts=shop_texts(tenant.id),
        )

    def match(self, message: Message) -> Match | None:
        if message.id not in self.matches:
            self.matches[message.id] = match(message.body, self.aliases)
        return self.matches[message.id]

    def writes(self, message: Message) -> bool:
        """Whether routing `message` may change data (a member, consent, the inbox, an app's count), so
        the caller holds a savepoint around it; only a plain help or points answer does not."""
        if message.phone in self.staff or message.phone in self.conversations:
            return True
        found = self.match(message)
        if found is not None:
            return found.action not in (Action.HELP, Action.POINTS)
        return (
            asks_to_stop(message.body)
            or find_survey(self.surveys, message.body) is not None
            or find_app(self.apps, message.body) is not None
        )


def respond(tenant: Tenant, message: Message, batch: Batch, now: dt.datetime | None = None) -> str | None:
    """Carry out what `message` asks and return the reply to send (None: send nothing). The caller commits,
    and should hold a savepoint around it when `batch.writes(message)`."""
    now = now or utcnow()
    user = batch.staff.get(message.phone)
    if user is not None:
        # A person at the shop working, not a robot: no hourly cap on the answers to commands.
        with force_locale(user.locale or tenant.locale):
            reply = merchant.command(tenant, user, message, now)
        if reply is not None:
            return reply
    found = batch.match(message)
    member = batch.members.get(message.phone)
    conversation = batch.conversations.get(message.phone)
    # A survey's next question is no robot's echo: a survey is a few questions, each asked again once at most,
    # so it may go past the hourly cap rather than stop halfway.
    surveying = (
        conversation is not None
        and conversation.closed_at is None
        and conversation.kind == ConversationKind.SURVEY
        and (found is None or found.action != Action.STOP)
    )
    with force_locale(_reply_locale(tenant, member, found)):
        reply = _route(tenant, message, member, found, batch, now)
    if reply is None or (batch.replies[message.phone] >= MAX_REPLIES_PER_HOUR and not surveying):
        return None
    batch.replies[message.phone] += 1
    return reply


def _reply_locale(tenant: Tenant, member: Member | None, found: Match | None) -> str:
    if member is not None and member.locale:
        return member.locale
    if found is not None and found.keyword in ENGLISH_KEYWORDS:
        return "en"
    return tenant.locale


def _route(
    tenant: Tenant, message: Message, member: Member | None, found: Match | None, batch: Batch, now: dt.datetime
) -> str | None:
    phone = message.phone
    conversation = batch.conversations.get(phone)
    if conversation is not None and conversation.closed_at is None:
        if found is not None and found.action == Action.STOP:
            conversation.closed_at = now
        else:
            go_on = continue_survey if conversation.kind == ConversationKind.SURVEY else continue_conversation
            reply = go_on(tenant, conversation, message, member, now)
            if reply is not None:
                return reply
    if found is not None:
        reply, batch.members[phone] = act(tenant, message, member, found, batch.texts, now)
        return reply
    survey = find_survey(batch.surveys, message.body)
    if survey is not None:
        reply = start_survey(tenant, survey, phone, member, now)
        _refresh(batch, tenant, phone, now)
        return reply
    hit = find_app(batch.apps, message.body)
    if hit is not None:
        app, argument = hit
        reply = run_app(tenant, app, message, member, argument, now)
        _refresh(batch, tenant, phone, now)
        return reply
    if asks_to_stop(message.body):
        return asked_to_stop(tenant, message, member, now)
    return help_reply(batch.texts, tenant, list(batch.apps))


def _refresh(batch: Batch, tenant: Tenant, phone: str, now: dt.datetime) -> None:
    """After an app or a survey started: the member it may have created, the conversation it may have opened."""
    batch.members.update(
        {m.phone: m for m in db.scalars(select(Member).where(Member.tenant_id == tenant.id, Member.phone == phone))}
    )
    batch.conversations.update(open_conversations(tenant.id, {phone}, now))
