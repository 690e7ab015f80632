"""Forms for purchases, redemptions, adjustments, the earning rule and rewards."""

import datetime as dt
import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, DecimalField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from mcrm.points.models import Channel, EntryReason

CHANNEL_LABELS = {
    Channel.PORTAL: _l("Portal"),
    Channel.WAP: _l("WAP"),
    Channel.API: _l("API"),
    Channel.IMPORT: _l("Import"),
    Channel.SMS: _l("SMS"),
}
ENTRY_REASON_LABELS = {
    EntryReason.WELCOME: _l("Welcome bonus"),
    EntryReason.PURCHASE: _l("Purchase"),
    EntryReason.REDEMPTION: _l("Redeemed"),
    EntryReason.ADJUSTMENT: _l("Adjustment"),
    EntryReason.REVERSAL: _l("Purchase reversed"),
    EntryReason.GIFT: _l("Greeting gift"),
}


class IdempotentForm(FlaskForm):
    """A form whose submission takes effect once, even when sent twice (a double tap, a resend)."""

    idempotency_key = HiddenField(default=lambda: uuid.uuid4().hex)


class PurchaseForm(IdempotentForm):
    amount = StringField(
        _l("Amount"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    occurred_at = DateTimeLocalField(
        _l("Time of purchase"), validators=[Optional()], description=_l("Leave empty for now.")
    )

    def validate_occurred_at(self, field):
        # A late entry is fine; a typo of the year is not (and year 1 would not convert to UTC).
        if field.data and not (dt.datetime.now() - dt.timedelta(days=366) <= field.data):
            raise ValidationError(_l("Enter a time within the last year."))


class RedeemForm(IdempotentForm):
    reward_id = SelectField(_l("Reward"), coerce=int, validate_choice=False)
    points = IntegerField(_l("Points"), validators=[Optional(), NumberRange(min=1)], render_kw={"inputmode": "numeric"})
    reason = StringField(_l("For what"), validators=[Length(max=100)])


class AdjustForm(FlaskForm):
    points = IntegerField(_l("Points (negative to take off)"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=100)])


class EarningRuleForm(FlaskForm):
    points_per_unit = DecimalField(
        _l("Points per yuan spent"), places=2, validators=[InputRequired(), NumberRange(min=0, max=1000)]
    )
    points_min_amount = DecimalField(
        _l("Minimum amount that earns points"), places=2, validators=[InputRequired(), NumberRange(min=0, max=1000000)]
    )
    welcome_bonus = IntegerField(
        _l("Welcome bonus for new members"), validators=[InputRequired(), NumberRange(min=0, max=100000)]
    )


class RewardForm(FlaskForm):
    name = StringField(_l("Reward"), validators=[DataRequired(), Length(max=60)])
    points_cost = IntegerField(_l("Points it costs"), validators=[InputRequired(), NumberRange(min=1, max=10000000)])
