"""Filing, answering and closing the shop's feedback.

A piece of feedback moves so::

    filed ──► open ──answer──► answered ──answer──► answered
               │                   │
               └──close──► closed ◄┘──close
                            │
                            └──reopen──► answered (when it was answered before), else open
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from dataclasses import dataclass

import phonenumbers
from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from mcrm.db import db, utcnow
from mcrm.feedback.models import Feedback, FeedbackAnswer, FeedbackKind, FeedbackStatus
from mcrm.members.models import Member
from mcrm.messaging.counter import cost
from mcrm.messaging.models import Message, MessageKind
from mcrm.messaging.services import NotEnoughCredit, queue_sms
from mcrm.messaging.shop_alerts import alert_owners
from tenants.models import Tenant, User

log = logging.getLogger(__name__)
ANSWER_TIME_WINDOW = dt.timedelta(days=30)
# More than any single SMS holds: the alert is cut down from here until it fits one.
ALERT_TEXT_START = 160


class FeedbackError(ValueError):
    """What the merchant asked cannot be done; the message says why, in their language."""


def file_feedback(
    tenant: Tenant,
    *,
    kind: FeedbackKind,
    text: str,
    message: Message,
    member: Member | None,
    now: dt.datetime | None = None,
) -> Feedback:
    """Put a consumer's text in the shop's inbox, and text the owners about a complaint. The caller commits."""
    feedback = Feedback(
        tenant_id=tenant.id,
        kind=kind,
        phone=message.phone,
        member_id=member.id if member else None,
        message_id=message.id,
        text=text,
        created_at=now or utcnow(),
    )
    db.add(feedback)
    db.flush()
    if kind == FeedbackKind.COMPLAINT and tenant.complaint_alerts:
        alert_owners(tenant, f"complaint-alert:{feedback.id}", lambda: complaint_alert(tenant, feedback))
    return feedback


def complaint_alert(tenant: Tenant, feedback: Feedback) -> str:
    """The owner's alert in the current locale, the consumer's text cut so that it fits one SMS."""
    phone = masked_phone(feedback.phone)
    text = " ".join(feedback.text.split())[:ALERT_TEXT_START]
    body = _("Complaint from %(phone)s: %(text)s", phone=phone, text=text)
    cut = len(text)
    while cut > 0 and cost(tenant, body, MessageKind.TRANSACTIONAL).parts > 1:
        cut -= 1
        body = _("Complaint from %(phone)s: %(text)s", phone=phone, text=text[:cut].rstrip() + "…")
    return body


def masked_phone(phone: str) -> str:
    """138****8000: enough to recognise a regular, not enough to copy from a phone's lock screen."""
    try:
        digits = phonenumbers.national_significant_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        digits = "".join(c for c in phone if c.isdigit())
    if len(digits) < 8:
        return phone
    return f"{digits[:3]}****{digits[-4:]}"


def answer_feedback(
    feedback: Feedback,
    user: User | None,
    text: str,
    now: dt.datetime | None = None,
    *,
    idempotency_key: str | None = None,
) -> FeedbackAnswer:
    """Text `text` to the consumer and record it as an answer; FeedbackError (nothing recorded) when the text
    is empty, the feedback is closed or the credit is short. A form sent twice with the same
    `idempotency_key` answers once. The caller commits."""
    text = text.strip()
    if not text:
        raise FeedbackError(_("Write an answer first."))
    if feedback.status == FeedbackStatus.CLOSED:
        raise FeedbackError(_("This is closed: reopen it to answer."))
    tenant = db.get(Tenant, feedback.tenant_id)
    now = now or utcnow()
    try:
        # Transactional: an answer the consumer asked for reaches them even if they opted out of offers.
        message = queue_sms(
            tenant,
            feedback.phone,
            text,
            MessageKind.TRANSACTIONAL,
            dedupe_key=f"inbox:{idempotency_key}" if idempotency_key else None,
            now=now,
        )
    except NotEnoughCredit as error:
        raise FeedbackError(_("The answer was not sent. %(reason)s", reason=str(error))) from error
    earlier = db.scalar(select(FeedbackAnswer).where(FeedbackAnswer.message_id == message.id))
    if earlier is not None:
        return earlier
    answer = FeedbackAnswer(
        tenant_id=tenant.id,
        feedback_id=feedback.id,
        user_id=user.id if user else None,
        message_id=message.id,
        text=text,
        created_at=now,
    )
    db.add(answer)
    feedback.status = FeedbackStatus.ANSWERED
    if feedback.first_answered_at is None:
        feedback.first_answered_at = now
    db.flush()
    return answer


def close_feedback(feedback: Feedback, now: dt.datetime | None = None) -> None:
    """Nothing more to do about it. The caller commits."""
    if feedback.status != FeedbackStatus.CLOSED:
        feedback.status = FeedbackStatus.CLOSED
        feedback.closed_at = now or utcnow()


def reopen_feedback(feedback: Feedback) -> None:
    """Back in the inbox, as answered when it was answered before (first_answered_at says so). The caller commits."""
    if feedback.status == FeedbackStatus.CLOSED:
        feedback.status = FeedbackStatus.ANSWERED if feedback.first_answered_at else FeedbackStatus.OPEN
        feedback.closed_at = None


def inbox_query(
    tenant: Tenant, *, status: FeedbackStatus | None = None, kind: FeedbackKind | None = None
) -> Select[tuple[Feedback]]:
    """The inbox list, filtered. Open items come longest-waiting first (the next to answer on top);
    the others newest first."""
    query = select(Feedback).where(Feedback.tenant_id == tenant.id)
    if status is not None:
        query = query.where(Feedback.status == status)
    if kind is not None:
        query = query.where(Feedback.kind == kind)
    return query.order_by(Feedback.id if status == FeedbackStatus.OPEN else Feedback.id.desc())


def status_counts(tenant: Tenant, kind: FeedbackKind | None = None) -> dict[FeedbackStatus, int]:
    """How many items each tab holds."""
    query = select(Feedback.status, func.count()).where(Feedback.tenant_id == tenant.id).group_by(Feedback.status)
    if kind is not None:
        query = query.where(Feedback.kind == kind)
    counts = dict.fromkeys(FeedbackStatus, 0)
    counts.update({status: n for status, n in db.execute(query)})
    return counts


def open_count(tenant: Tenant) -> int:
    """The open items: the badge on the Inbox link."""
    query = select(func.count()).select_from(Feedback)
    return db.scalar(query.where(Feedback.tenant_id == tenant.id, Feedback.status == FeedbackStatus.OPEN))


@dataclass(frozen=True)
class AnswerTimes:
    answered: int
    median: dt.timedelta | None
    average: dt.timedelta | None


def answer_times(tenant: Tenant, now: dt.datetime | None = None) -> AnswerTimes:
    """How long consumers waited for a first answer, over the items first answered in the last 30 days."""
    since = (now or utcnow()) - ANSWER_TIME_WINDOW
    # A shop answers a few hundred texts a month at most: two columns of those rows are cheap to load,
    # and a median in Python works the same on SQLite and PostgreSQL.
    rows = db.execute(
        select(Feedback.created_at, Feedback.first_answered_at).where(
            Feedback.tenant_id == tenant.id, Feedback.first_answered_at >= since
        )
    ).all()
    waits = [answered - created for created, answered in rows]
    if not waits:
        return AnswerTimes(0, None, None)
    return AnswerTimes(len(waits), statistics.median(waits), sum(waits, dt.timedelta()) / len(waits))


def members_by_id(tenant: Tenant, items: list[Feedback]) -> dict[int, Member]:
    """The members behind a page of items, in one query."""
    ids = {f.member_id for f in items if f.member_id}
    if not ids:
        return {}
    return {m.id: m for m in db.scalars(select(Member).where(Member.tenant_id == tenant.id, Member.id.in_(ids)))}
