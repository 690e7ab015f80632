"""The promotion form (compose, audience, options, when) and how promotion states read to people."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from mcrm.apps.forms import placeholders
from mcrm.promotions.models import PromotionStatus, Repeat

STATUS_LABELS = {
    PromotionStatus.DRAFT: _l("Draft"),
    PromotionStatus.SCHEDULED: _l("Scheduled"),
    PromotionStatus.SENDING: _l("Sending"),
    PromotionStatus.SENT: _l("Sent"),
    PromotionStatus.FAILED: _l("Could not start"),
    PromotionStatus.CANCELLED: _l("Cancelled"),
}
REPEAT_LABELS = {
    Repeat.NONE: _l("Once"),
    Repeat.WEEKLY: _l("Every week"),
    Repeat.MONTHLY: _l("Every month"),
}
# The "when" choice: now, once at a time, or a repeat from that time.
NOW = "now"
AT = "at"
WHEN_REPEAT = {
    NOW: Repeat.NONE,
    AT: Repeat.NONE,
    Repeat.WEEKLY.value: Repeat.WEEKLY,
    Repeat.MONTHLY.value: Repeat.MONTHLY,
}
MAX_BODY = 500  # a few SMS at most
DEFAULT_HOLDOUT = 10
DEFAULT_ATTRIBUTION_DAYS = 7
DEFAULT_COUPON_DAYS = 30


class PromotionForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("For you, e.g. Autumn coffee week. Customers do not see it."),
    )
    segment_id = SelectField(
        _l("Audience"),
        coerce=int,
        validate_choice=False,  # the service checks the segment belongs to the shop
        validators=[DataRequired(message=_l("Choose a segment."))],
    )
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(message=_l("Write the message.")), Length(max=MAX_BODY), placeholders("coupon")],
        render_kw={"rows": 4, "maxlength": MAX_BODY},
    )
    sample_phone = StringField(
        _l("Preview for"),
        validators=[Length(max=30)],
        description=_l("Optional: a member's phone number. Left empty, the first member of the audience."),
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    coupon_enabled = BooleanField(_l("A personal coupon code in each message"))
    coupon_offer = StringField(
        _l("What the coupon offers"),
        validators=[Length(max=80)],
        description=_l("Shown to the cashier who redeems it, e.g. a second coffee free."),
    )
    coupon_valid_days = IntegerField(
        _l("Valid for (days)"),
        default=DEFAULT_COUPON_DAYS,
        validators=[Optional(), NumberRange(min=1, max=365)],
        render_kw={"inputmode": "numeric"},
    )
    holdout_enabled = BooleanField(_l("Hold out a comparison group"))
    holdout_percent = IntegerField(
        _l("Share held out (%)"),
        default=DEFAULT_HOLDOUT,
        validators=[Optional(), NumberRange(min=1, max=50)],
        description=_l("A random share of the audience is not sent it, so the results show what the message changed."),
        render_kw={"inputmode": "numeric"},
    )
    attribution_days = IntegerField(
        _l("Count purchases within (days)"),
        default=DEFAULT_ATTRIBUTION_DAYS,
        validators=[InputRequired(), NumberRange(min=1, max=60)],
        description=_l("A purchase this many days after the message counts as a result of it."),
        render_kw={"inputmode": "numeric"},
    )
    when = RadioField(
        _l("When"),
        choices=[
            SelectChoice(NOW, _l("Send now")),
            SelectChoice(AT, _l("At a date and time")),
            SelectChoice(Repeat.WEEKLY.value, _l("Every week from a date and time")),
            SelectChoice(Repeat.MONTHLY.value, _l("Every month from a date and time")),
        ],
        default=NOW,
    )
    # The browser's datetime-local value; seconds are accepted from browsers that send them.
    send_at = DateTimeLocalField(
        _l("Date and time"), validators=[Optional()], format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
    )
    repeat_until = DateField(
        _l("Until"), validators=[Optional()], description=_l("Optional: the last day of the repeat.")
    )
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Schedule"))

    def validate_body(self, field):
        body = field.data or ""
        if self.coupon_enabled.data and "{coupon}" not in body:
            raise ValidationError(_l("With a coupon, the message must contain {coupon}: that is where the code goes."))
        if not self.coupon_enabled.data and "{coupon}" in body:
            raise ValidationError(_l("{coupon} needs a coupon: switch the coupon on, or take {coupon} out."))

    def validate_coupon_offer(self, field):
        if self.coupon_enabled.data and not (field.data or "").strip():
            raise ValidationError(_l("Say what the coupon offers."))

    def validate(self, extra_validators=None) -> bool:
        # Optional() ends a field's checks when it is empty, so "required when…" is checked here.
        valid = super().validate(extra_validators)
        required = (
            (self.coupon_valid_days, self.coupon_enabled.data, _l("Enter how many days the coupon is valid.")),
            (self.holdout_percent, self.holdout_enabled.data, _l("Enter a share between 1 and 50.")),
            (self.send_at, self.when.data != NOW, _l("Choose the date and time.")),
        )
        for field, needed, message in required:
            if needed and field.data is None and not field.errors:
                field.errors.append(message)
                valid = False
        return valid

    def validate_repeat_until(self, field):
        if field.data and self.send_at.data and field.data < self.send_at.data.date():
            raise ValidationError(_l("The last day cannot be before the first sending."))

    @property
    def repeat(self) -> Repeat:
        return WHEN_REPEAT.get(self.when.data or NOW, Repeat.NONE)

    @property
    def send_at_local(self) -> dt.datetime | None:
        """The naive shop-local time typed; None to send now."""
        return None if self.when.data == NOW else self.send_at.data


class CancelForm(FlaskForm):
    """Cancel: a POST with its CSRF token (the page asks for confirmation)."""
