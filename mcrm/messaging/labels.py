"""How message states, reasons, kinds and directions read to people."""

from flask_babel import lazy_gettext as _l

from mcrm.messaging.models import Direction, MessageKind, MessageStatus, Problem, SuppressReason

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

PROBLEM_LABELS = {
    Problem.NO_CREDIT_TO_ANSWER: _l("No SMS credit left to answer"),
    Problem.EXPIRED_UNSENT: _l("Not sent in time, so it expired; its credit was given back"),
    Problem.LINK_DROPPED: _l("The link to the SMSC dropped before it answered: it may have been sent"),
    Problem.STOPPED_MID_MESSAGE: _l("The gateway stopped in the middle of a long message"),
    Problem.GATEWAY_STOPPED: _l("The gateway stopped while sending: it may have been sent"),
    Problem.GATEWAY_RESTARTED: _l("The gateway restarted while sending: it may have been sent"),
}


def problem_label(error: str | None) -> str:
    """The pipeline's own problems in the reader's language; the SMSC's words as it said them."""
    if not error:
        return ""
    try:
        return str(PROBLEM_LABELS[Problem(error)])
    except ValueError:
        return error
