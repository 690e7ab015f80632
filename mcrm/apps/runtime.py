"""What a keyword app does when a consumer texts its keyword, and how a form's conversation goes on.

The router calls `find_app` after the system keywords, `run_app` for the app found, and
`continue_conversation` first of all when the sender has an open conversation. The caller commits.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mcrm.apps.answers import parse_answer
from mcrm.apps.models import (
    AnswerType,
    AppKind,
    AppSubscriber,
    AppUse,
    Conversation,
    ConversationKind,
    FormSubmission,
    KeywordApp,
    LookupRow,
)
from mcrm.apps.placeholders import fill
from mcrm.db import db
from mcrm.keywords.normalise import normalise, tidy
from mcrm.keywords.system import argument_after
from mcrm.members.models import Member, Source
from mcrm.members.services import DuplicateMember, create_member
from mcrm.messaging.models import Message
from mcrm.messaging.shop_alerts import alert_owners
from tenants.models import Tenant

# A form is a short exchange: after this long without an answer the consumer's next text is read as a
# keyword again, so someone who walked away is not stuck answering "party size?" tomorrow.
FORM_TIMEOUT = dt.timedelta(minutes=30)
# What follows a subscription keyword to leave its list: `XP TD`, `XP 退订`, `XP stop`.
LEAVE_WORDS = frozenset({"td", "t", "退订", "退出", "取消", "stop", "leave", "quit", "unsubscribe", "cancel"})
LOOKUP_KEYS_SHOWN = 5


def enabled_apps(tenant_id: int) -> dict[str, KeywordApp]:
    apps = db.scalars(select(KeywordApp).where(KeywordApp.tenant_id == tenant_id, KeywordApp.enabled.is_(True)))
    return {app.keyword: app for app in apps}


def find_app(apps: dict[str, KeywordApp], body: str) -> tuple[KeywordApp, str] | None:
    """The app whose keyword starts `body`, and the argument after it (the longest keyword wins)."""
    shown = tidy(body)
    plain = shown.casefold()
    for keyword in sorted(apps, key=len, reverse=True):
        argument = argument_after(keyword, shown, plain)
        if argument is not None:
            return apps[keyword], argument
    return None


def open_conversations(tenant_id: int, phones: set[str], now: dt.datetime) -> dict[str, Conversation]:
    found = db.scalars(
        select(Conversation).where(
            Conversation.tenant_id == tenant_id,
            Conversation.phone.in_(phones),
            Conversation.closed_at.is_(None),
            Conversation.expires_at > now,
            # A survey sent during quiet hours opens at their end, when its first question goes out.
            Conversation.started_at <= now,
        )
    )
    return {conversation.phone: conversation for conversation in found}


def run_app(
    tenant: Tenant, app: KeywordApp, message: Message, member: Member | None, argument: str, now: dt.datetime
) -> str:
    # Counted in SQL: two binds may route texts for the same app at once.
    db.execute(update(KeywordApp).where(KeywordApp.id == app.id).values(uses=KeywordApp.uses + 1, last_used_at=now))
    if member is not None:
        _record_use(tenant, app, member, now)
    if app.kind == AppKind.AUTO_REPLY:
        return fill(app.reply_text, tenant, member)
    if app.kind == AppKind.SUBSCRIPTION:
        return _subscription(tenant, app, message, member, argument, now)
    if app.kind == AppKind.LOOKUP:
        return _lookup(tenant, app, member, argument)
    return _start_form(tenant, app, message, member, now)


def _record_use(tenant: Tenant, app: KeywordApp, member: Member, now: dt.datetime) -> None:
    """Remember that the member used the app (a segment condition): insert once, then move last_used_at."""
    # ON CONFLICT DO NOTHING, then an UPDATE: two texts routed at once neither fail on the primary key nor
    # lose the later time.
    insert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else postgresql_insert
    db.execute(
        insert(AppUse)
        .values(tenant_id=tenant.id, app_id=app.id, member_id=member.id, first_used_at=now, last_used_at=now)
        .on_conflict_do_nothing()
    )
    db.execute(
        update(AppUse)
        .where(AppUse.tenant_id == tenant.id, AppUse.app_id == app.id, AppUse.member_id == member.id)
        .where(AppUse.last_used_at < now)
        .values(last_used_at=now)
    )


def _subscription(
    tenant: Tenant, app: KeywordApp, message: Message, member: Member | None, argument: str, now: dt.datetime
) -> str:
    keyword = app.keyword.upper()
    leaving = normalise(argument) in LEAVE_WORDS
    entry = None
    if member is not None:
        entry = db.scalar(
            select(AppSubscriber).where(AppSubscriber.app_id == app.id, AppSubscriber.member_id == member.id)
        )
    if leaving:
        if entry is not None and entry.left_at is None:
            entry.left_at = now
        return fill(app.leave_text, tenant, member) or _("You have left the list %(list)s.", list=app.name)
    evidence = f"SMS #{message.id}: {message.body[:150]}"
    if member is None:
        try:
            member = create_member(tenant, phone=message.phone, source=Source.SMS, consent_evidence=evidence)
        except DuplicateMember as duplicate:
            member = duplicate.member
        db.flush()
    elif member.opted_out_at is not None:
        # Asking for a list's messages is a new, explicit consent, as texting ZC again is.
        member.opted_out_at = None
        member.consent_source, member.consent_at, member.consent_evidence = Source.SMS, now, evidence
        member.consent_by_user_id = None
    if entry is None:
        db.add(AppSubscriber(tenant_id=tenant.id, app_id=app.id, member_id=member.id, joined_at=now))
    elif entry.left_at is not None:
        entry.left_at, entry.joined_at = None, now
    return fill(app.reply_text, tenant, member) or _(
        "You are on the list %(list)s. Text %(keyword)s TD to leave.", list=app.name, keyword=keyword
    )


def _lookup(tenant: Tenant, app: KeywordApp, member: Member | None, argument: str) -> str:
    key = normalise(argument)
    row = db.scalar(select(LookupRow).where(LookupRow.app_id == app.id, LookupRow.key == key)) if key else None
    if row is not None:
        return fill(app.reply_text or "{key}: {value}", tenant, member, key=row.shown_key, value=row.value)
    keys = db.scalars(
        select(LookupRow.shown_key).where(LookupRow.app_id == app.id).order_by(LookupRow.id).limit(LOOKUP_KEYS_SHOWN)
    ).all()
    choices = "/".join(keys)
    if key and app.not_found_text:
        return fill(app.not_found_text, tenant, member, key=tidy(argument), choices=choices)
    if not keys:
        return _("Nothing to look up here yet.")
    if key:
        return _(
            "No match for %(text)s. Try: %(keyword)s %(choices)s",
            text=tidy(argument),
            keyword=app.keyword.upper(),
            choices=choices,
        )
    return _("Text %(keyword)s and one of: %(choices)s", keyword=app.keyword.upper(), choices=choices)


def _start_form(tenant: Tenant, app: KeywordApp, message: Message, member: Member | None, now: dt.datetime) -> str:
    if not app.questions:
        return fill(app.reply_text, tenant, member) or _("Thank you.")
    close_conversation(tenant.id, message.phone, now)
    db.add(
        Conversation(
            tenant_id=tenant.id,
            phone=message.phone,
            kind=ConversationKind.FORM,
            app_id=app.id,
            member_id=member.id if member else None,
            answers=[],
            started_at=now,
            expires_at=now + FORM_TIMEOUT,
        )
    )
    db.flush()
    return app.questions[0].prompt


def close_conversation(tenant_id: int, phone: str, now: dt.datetime) -> None:
    """End whatever conversation `phone` has open with the shop (a new one starts, or they said stop)."""
    db.execute(
        update(Conversation)
        .where(Conversation.tenant_id == tenant_id, Conversation.phone == phone, Conversation.closed_at.is_(None))
        .values(closed_at=now)
        .execution_options(synchronize_session="fetch")
    )


def continue_conversation(
    tenant: Tenant, conversation: Conversation, message: Message, member: Member | None, now: dt.datetime
) -> str | None:
    """Take `message` as the answer to the question waiting; the next question, or the form's end. None
    when the conversation can no longer go on (its app was switched off): the text is routed as usual."""
    app = db.get(KeywordApp, conversation.app_id) if conversation.app_id else None
    if app is None or not app.enabled or conversation.step >= len(app.questions):
        conversation.closed_at = now
        return None
    question = app.questions[conversation.step]
    today = now.astimezone(ZoneInfo(tenant.timezone)).date()
    answer = parse_answer(question.answer_type, message.body, today)
    if answer is None:
        if conversation.reasked:
            conversation.closed_at = now
            return _("Sorry, that did not work. Text %(keyword)s to start again.", keyword=app.keyword.upper())
        conversation.reasked = True
        conversation.expires_at = now + FORM_TIMEOUT
        return _reask(question.answer_type, question.prompt)
    # A new list, not an in-place append: the JSON column only notices assignment.
    conversation.answers = [*conversation.answers, {"question": question.prompt, "answer": answer}]
    conversation.step += 1
    conversation.reasked = False
    conversation.expires_at = now + FORM_TIMEOUT
    if conversation.step < len(app.questions):
        return app.questions[conversation.step].prompt
    conversation.closed_at = now
    submission = FormSubmission(
        tenant_id=tenant.id,
        app_id=app.id,
        member_id=member.id if member else None,
        phone=message.phone,
        answers=conversation.answers,
        created_at=now,
    )
    db.add(submission)
    db.flush()
    if app.notify_shop:
        summary = "; ".join(f"{item['question'][:20]} {item['answer']}" for item in submission.answers)
        alert_owners(
            tenant,
            f"form:{submission.id}",
            lambda: _("%(app)s from %(phone)s: %(answers)s", app=app.name, phone=message.phone, answers=summary),
        )
    return fill(app.reply_text, tenant, member) or _("Thank you! %(shop)s has your answers.", shop=tenant.name)


def _reask(answer_type: AnswerType, prompt: str) -> str:
    if answer_type == AnswerType.NUMBER:
        return _("Please answer with a number. %(question)s", question=prompt)
    if answer_type == AnswerType.DATE:
        return _("Please answer with a date, e.g. 12-24 or 明天. %(question)s", question=prompt)
    return prompt
