"""Filing, answering and closing the shop's feedback."""

from __future__ import annotations

import datetime as dt

from mcrm.db import db, utcnow
from mcrm.feedback.models import Feedback, FeedbackKind
from mcrm.members.models import Member
from mcrm.messaging.models import Message
from tenants.models import Tenant


def file_feedback(
    tenant: Tenant,
    *,
    kind: FeedbackKind,
    text: str,
    message: Message,
    member: Member | None,
    now: dt.datetime | None = None,
) -> Feedback:
    """Put a consumer's text in the shop's inbox. The caller commits."""
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
    return feedback
