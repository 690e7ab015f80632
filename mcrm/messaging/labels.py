"""How message states, reasons, kinds and directions read to people."""

from flask_babel import lazy_gettext as _l

from mcrm.messaging.models import Direction, MessageKind, MessageStatus, SuppressReason

MESSAGE_STATUS_LABELS = {
    MessageStatus.QUEUED: _l("Queued"),
    MessageStatus.DEFERRED: _l("Deferred"),
    MessageStatus.SENDING: _l("Sending"),
    MessageStatus.SENT: _l("Sent"),
    MessageStatus.DELIVERED: _l("Delivered"),
    MessageStatus.UNDELIVERED: _l("Not delivered"),
    MessageStatus.FAILED: _l("Failed"),
    MessageStatus.EXPIRED: _l("Expired"),
    MessageStatus.SUPPRESSED: _l("Suppressed"),
    MessageStatus.UNKNOWN: _l("Unknown"),
    MessageStatus.RECEIVED: _l("Received"),
}

SUPPRESS_REASON_LABELS = {
    SuppressReason.OPTED_OUT: _l("Member opted out"),
    SuppressReason.DAILY_CAP: _l("Daily promotion limit reached"),
}

MESSAGE_KIND_LABELS = {
    MessageKind.REPLY: _l("Reply"),
    MessageKind.TRANSACTIONAL: _l("Service"),
    MessageKind.CARE: _l("Greeting"),
    MessageKind.MARKETING: _l("Promotion"),
}

DIRECTION_LABELS = {
    Direction.IN: _l("In"),
    Direction.OUT: _l("Out"),
}
