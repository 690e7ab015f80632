"""Imports every model module so the metadata is complete (for Alembic and the tests)."""

from mcrm.analytics.models import MemberScore
from mcrm.api.models import ApiToken
from mcrm.apps.models import AppSubscriber, AppUse, Conversation, FormQuestion, FormSubmission, KeywordApp, LookupRow
from mcrm.care.models import GreetingRule, GreetingRun
from mcrm.credits.models import CreditEntry
from mcrm.feedback.models import Feedback, FeedbackAnswer
from mcrm.heartbeats import ProcessHeartbeat
from mcrm.keywords.models import KeywordAlias, PendingBroadcast, ReplyText
from mcrm.members.imports import ImportJob
from mcrm.members.models import Member, Tag
from mcrm.messaging.models import Message
from mcrm.points.models import LedgerEntry, Purchase, Reward
from mcrm.promotions.models import Coupon, Promotion, PromotionHoldout, PromotionRun
from mcrm.reminders.models import Reminder, ReminderSend
from mcrm.segments.models import Segment
from mcrm.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from sms_gateway.models import InboundPart, SmscSubmit, UnroutedMessage
from tenants.models import Tenant, User

__all__ = [
    "ApiToken",
    "AppSubscriber",
    "AppUse",
    "Conversation",
    "Coupon",
    "CreditEntry",
    "Feedback",
    "FeedbackAnswer",
    "FormQuestion",
    "FormSubmission",
    "GreetingRule",
    "GreetingRun",
    "ImportJob",
    "InboundPart",
    "KeywordAlias",
    "KeywordApp",
    "LedgerEntry",
    "LookupRow",
    "Member",
    "MemberScore",
    "Message",
    "PendingBroadcast",
    "ProcessHeartbeat",
    "Promotion",
    "PromotionHoldout",
    "PromotionRun",
    "Purchase",
    "Reminder",
    "ReminderSend",
    "ReplyText",
    "Reward",
    "Segment",
    "SmscSubmit",
    "Survey",
    "SurveyAnswer",
    "SurveyQuestion",
    "SurveyResponse",
    "Tag",
    "Tenant",
    "UnroutedMessage",
    "User",
]
