"""The greeting rule forms (one per kind of occasion) and how rules and their runs read to people."""

from __future__ import annotations

from babel.dates import get_month_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from mcrm.apps.forms import coupon_placement, placeholders
from mcrm.care.models import GreetingKind, GreetingRunStatus
from mcrm.promotions.forms import DEFAULT_COUPON_DAYS

MAX_TEMPLATE = 500  # a few SMS at most
MAX_DAYS_BEFORE = 30
MAX_GIFT_POINTS = 10_000

KIND_LABELS = {
    GreetingKind.BIRTHDAY: _l("Birthday"),
    GreetingKind.ANNIVERSARY: _l("Membership anniversary"),
    GreetingKind.HOLIDAY: _l("Holidays & festivals"),
    GreetingKind.SPECIAL_DAY: _l("Special days"),
}
RUN_LABELS = {
    GreetingRunStatus.SENT: _l("Sent"),
    GreetingRunStatus.MISSED: _l("Missed"),
    GreetingRunStatus.FAILED: _l("Failed"),
}


def hour_label(hour: int) -> str:
    return f"{hour:02d}:00"


class RuleForm(FlaskForm):
    """What every rule has: a holiday rule edits exactly this."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("For you: customers do not see it."),
    )
    enabled = BooleanField(_l("On: greetings go out by themselves"))
    template = TextAreaField(
        _l("Message"),
        validators=[Length(max=MAX_TEMPLATE), placeholders("coupon"), coupon_placement("coupon_offer")],
        render_kw={"rows": 4, "maxlength": MAX_TEMPLATE},
    )
    send_hour = SelectField(
        _l("Send at"),
        coerce=int,
        choices=[SelectChoice(hour, hour_label(hour)) for hour in range(24)],
        default=10,
        validators=[InputRequired()],
    )
    gift_points = IntegerField(
        _l("Gift points"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_GIFT_POINTS)],
        description=_l("Bonus points credited to each member with the greeting; 0 for none."),
        render_kw={"inputmode": "numeric"},
    )
    coupon_offer = StringField(
        _l("Coupon offer (optional)"),
        validators=[Length(max=80)],
        description=_l("E.g. A free dessert: each member greeted gets their own code where {coupon} is."),
    )
    coupon_valid_days = IntegerField(
        _l("Valid for (days)"),
        default=DEFAULT_COUPON_DAYS,
        validators=[Optional(), NumberRange(min=1, max=365)],
        render_kw={"inputmode": "numeric"},
    )
    # Renders the page again with the text as a member gets it, saving nothing.
    preview = SubmitField(_l("Preview"))


class MemberDayForm(RuleForm):
    """Birthday and membership anniversary: each member's own day, or a few days before it."""

    days_before = IntegerField(
        _l("Days before"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_DAYS_BEFORE)],
        description=_l("0 sends it on the day itself."),
        render_kw={"inputmode": "numeric"},
    )


class SpecialDayForm(RuleForm):
    """The shop's own date: every year, or once when a year is given."""

    special_month = SelectField(_l("Month"), coerce=int, validators=[InputRequired()])
    special_day = SelectField(
        _l("Day"),
        coerce=int,
        choices=[SelectChoice(day, str(day)) for day in range(1, 32)],
        validators=[InputRequired()],
    )
    special_year = IntegerField(
        _l("Year"),
        validators=[Optional(), NumberRange(min=2000, max=2100)],
        description=_l("Leave it empty to send every year; with a year it is sent once."),
        render_kw={"inputmode": "numeric", "placeholder": _l("every year")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        months = get_month_names("wide", locale=get_locale())
        self.special_month.choices = [SelectChoice(month, months[month]) for month in range(1, 13)]


FORMS = {
    GreetingKind.BIRTHDAY: MemberDayForm,
    GreetingKind.ANNIVERSARY: MemberDayForm,
    GreetingKind.HOLIDAY: RuleForm,
    GreetingKind.SPECIAL_DAY: SpecialDayForm,
}


class ToggleForm(FlaskForm):
    """Switch a rule on or off from the list: a POST with its CSRF token and the state wanted."""

    enabled = HiddenField(validators=[DataRequired()])

    @property
    def wanted(self) -> bool:
        return self.enabled.data == "1"


class AddHolidayForm(FlaskForm):
    key = HiddenField(validators=[DataRequired(), Length(max=120)])


class DeleteRuleForm(FlaskForm):
    """Delete: a POST with its CSRF token (the page asks for confirmation)."""
