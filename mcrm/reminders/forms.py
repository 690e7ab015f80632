"""The reminder form, and how a reminder's repeat and sends read to people."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from mcrm.reminders.models import Reminder, ReminderRepeat, ReminderSendStatus
from tenants.models import Tenant

MAX_TEXT = 300
REPEAT_CHOICES = [
    SelectChoice(ReminderRepeat.NONE.value, _l("Once")),
    SelectChoice(ReminderRepeat.DAILY.value, _l("Every day")),
    SelectChoice(ReminderRepeat.WEEKLY.value, _l("Every week")),
    SelectChoice(ReminderRepeat.MONTHLY.value, _l("Every month")),
    SelectChoice(ReminderRepeat.YEARLY.value, _l("Every year")),
    SelectChoice(ReminderRepeat.CRON.value, _l("Cron expression")),
]
SEND_STATUS_LABELS = {
    ReminderSendStatus.SENT: _l("Sent"),
    ReminderSendStatus.MISSED: _l("Missed"),
    ReminderSendStatus.FAILED: _l("Failed"),
}


class ReminderForm(FlaskForm):
    text = TextAreaField(
        _l("Reminder"),
        validators=[DataRequired(message=_l("Write what the reminder should say.")), Length(max=MAX_TEXT)],
        render_kw={"rows": 3, "maxlength": MAX_TEXT},
    )
    # The browser's datetime-local value; seconds are accepted from browsers that send them.
    at = DateTimeLocalField(
        _l("Date and time"), validators=[Optional()], format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
    )
    repeat = SelectField(_l("Repeat"), choices=REPEAT_CHOICES, default=ReminderRepeat.NONE.value)
    cron = StringField(
        _l("Cron expression"),
        validators=[Length(max=100)],
        description=_l(
            "Five fields: minute hour day month weekday. “0 9 * * 1-5” is 09:00 from Monday to Friday; "
            "“30 18 * * fri” is Fridays at 18:30. With a date and time above, it starts from then."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false", "placeholder": "0 9 * * 1-5"},
    )
    recipients = SelectMultipleField(
        _l("Text it to"),
        coerce=int,
        validate_choice=False,  # the service checks they are the shop's
    )
    preview = SubmitField(_l("Show the next times"))

    def validate_cron(self, field):
        if self.repeat.data == ReminderRepeat.CRON.value and not (field.data or "").strip():
            raise ValidationError(_l("Enter a cron expression, e.g. 0 9 * * 1-5."))

    def validate(self, extra_validators=None) -> bool:
        # Optional() ends a field's checks when it is empty, so "required unless cron" is checked here.
        valid = super().validate(extra_validators)
        if self.repeat.data != ReminderRepeat.CRON.value and self.at.data is None and not self.at.errors:
            self.at.errors.append(_l("Choose the date and time."))
            valid = False
        if not self.recipients.data and not self.recipients.errors:
            self.recipients.errors.append(_l("Choose who gets it."))
            valid = False
        return valid

    @property
    def repeat_value(self) -> ReminderRepeat:
        try:
            return ReminderRepeat(self.repeat.data)
        except ValueError:
            return ReminderRepeat.NONE


class ActionForm(FlaskForm):
    """Pause, resume or delete: a POST with its CSRF token."""


def repeat_words(tenant: Tenant, reminder: Reminder) -> str:
    """When a reminder comes, in words: "every Monday at 09:00", "once"; a cron reminder shows its expression
    (the page lists its next times beside it)."""
    first = reminder.first_at.astimezone(ZoneInfo(tenant.timezone))
    clock = first.strftime("%H:%M")
    locale = get_locale()
    match reminder.repeat:
        case ReminderRepeat.DAILY:
            return _("every day at %(time)s", time=clock)
        case ReminderRepeat.WEEKLY:
            return _("every %(weekday)s at %(time)s", weekday=format_date(first, "EEEE", locale=locale), time=clock)
        case ReminderRepeat.MONTHLY:
            if first.day > 28:
                return _(
                    "every month on day %(day)d at %(time)s (the last day in shorter months)", day=first.day, time=clock
                )
            return _("every month on day %(day)d at %(time)s", day=first.day, time=clock)
        case ReminderRepeat.YEARLY:
            day = format_skeleton("MMMMd", first, locale=locale)
            if (first.month, first.day) == (2, 29):
                return _("every year on %(day)s at %(time)s (28 February in other years)", day=day, time=clock)
            return _("every year on %(day)s at %(time)s", day=day, time=clock)
        case ReminderRepeat.CRON:
            return _("cron “%(expression)s”", expression=reminder.cron)
    return _("once")
