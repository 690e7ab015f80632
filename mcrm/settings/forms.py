"""The shop settings form."""

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, Length, ValidationError

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

    def validate_quiet_end(self, field):
        if field.data == self.quiet_start.data:
            raise ValidationError(_l("Start and end must differ."))
