"""The shop settings form."""

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from mcrm.auth.forms import LANGUAGE_CHOICES

# Common choices first; every IANA zone stays available.
_FIRST = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "UTC"]
TIMEZONE_CHOICES = _FIRST + sorted(z for z in available_timezones() if z not in _FIRST and "/" in z)


class SettingsForm(FlaskForm):
    name = StringField(_l("Shop name"), validators=[DataRequired(), Length(max=80)])
    signature = StringField(
        _l("SMS signature"),
        validators=[DataRequired(), Length(max=30)],
        description=_l("Leads every message to members, e.g. 【老王烧烤】."),
    )
    timezone = SelectField(_l("Timezone"), choices=[SelectChoice(z) for z in TIMEZONE_CHOICES])
    locale = SelectField(_l("Shop language"), choices=LANGUAGE_CHOICES)
    quiet_start = TimeField(_l("Quiet hours start"), validators=[DataRequired()])
    quiet_end = TimeField(
        _l("Quiet hours end"),
        validators=[DataRequired()],
        description=_l("No promotions or greetings are sent between these times, shop time."),
    )

    opt_out_line = StringField(
        _l("Opt-out line"),
        validators=[Length(max=40)],
        description=_l("Ends every promotion. Leave empty for the default: 回TD退订 or Reply STOP to opt out."),
    )
    marketing_daily_cap = IntegerField(
        _l("Promotions per member per day"),
        validators=[InputRequired(), NumberRange(min=1, max=10)],
        description=_l("A member gets at most this many promotions and surveys a day."),
    )
    rfm_window_days = IntegerField(
        _l("Customer classes look back (days)"),
        validators=[InputRequired(), NumberRange(min=30, max=1095)],
        description=_l("Recency, frequency and spend are scored over this many days of purchases. Usually 365."),
    )
    complaint_alerts = BooleanField(
        _l("Text me when a customer complains"),
        description=_l(
            "An SMS (1 credit) to each owner's mobile registered on the Staff page. Complaints always reach the Inbox."
        ),
    )

    def validate_quiet_end(self, field):
        if field.data == self.quiet_start.data:
            raise ValidationError(_l("Start and end must differ."))
