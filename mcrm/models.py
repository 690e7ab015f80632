"""Imports every model module so the metadata is complete (for Alembic and the tests)."""

from mcrm.api.models import ApiToken
from mcrm.credits.models import CreditEntry
from mcrm.feedback.models import Feedback
from mcrm.heartbeats import ProcessHeartbeat
from mcrm.members.imports import ImportJob
from mcrm.members.models import Member, Tag
from mcrm.messaging.models import Message
from mcrm.points.models import LedgerEntry, Purchase, Reward
from sms_gateway.models import InboundPart, SmscSubmit, UnroutedMessage
from tenants.models import Tenant, User

__all__ = [
    "ApiToken",
    "CreditEntry",
    "Feedback",
    "ImportJob",
    "InboundPart",
    "LedgerEntry",
    "Member",
    "Message",
    "ProcessHeartbeat",
    "Purchase",
    "Reward",
    "SmscSubmit",
    "Tag",
    "Tenant",
    "UnroutedMessage",
    "User",
]
