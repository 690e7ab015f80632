"""How feedback kinds and states read to people."""

from flask_babel import lazy_gettext as _l

from mcrm.feedback.models import FeedbackKind, FeedbackStatus

KIND_LABELS = {
    FeedbackKind.FEEDBACK: _l("Feedback"),
    FeedbackKind.COMPLAINT: _l("Complaint"),
    FeedbackKind.SUGGESTION: _l("Suggestion"),
    FeedbackKind.STOP_REQUEST: _l("Asks to stop"),
}

STATUS_LABELS = {
    FeedbackStatus.OPEN: _l("Open"),
    FeedbackStatus.ANSWERED: _l("Answered"),
    FeedbackStatus.CLOSED: _l("Closed"),
}
