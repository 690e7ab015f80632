"""Member forms of the portal and the WAP page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from mcrm.auth.forms import LANGUAGE_CHOICES
from mcrm.members.birthdays import parse_birthday
from mcrm.members.models import Gender, Source

GENDER_LABELS = {Gender.UNKNOWN: _l("Not given"), Gender.FEMALE: _l("Female"), Gender.MALE: _l("Male")}
SOURCE_LABELS = {
    Source.SMS: _l("SMS"),
    Source.PORTAL: _l("Portal"),
    Source.WAP: _l("WAP"),
    Source.IMPORT: _l("Import"),
    Source.API: _l("API"),
}


def validate_birthday(_form, field):
    if field.data and field.data.strip() and parse_birthday(field.data) is None:
        raise ValidationError(_l("Write the birthday as 1990-08-15, 08-15, or 农历08-15 for a lunar date."))


class MemberForm(FlaskForm):
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[Length(max=80)])
    gender = SelectField(_l("Gender"), choices=[SelectChoice(g.value, label) for g, label in GENDER_LABELS.items()])
    birthday = StringField(
        _l("Birthday"),
        validators=[Length(max=20), validate_birthday],
        description=_l("1990-08-15, or 08-15 without the year; 农历08-15 for a lunar birthday."),
    )
    tags = StringField(_l("Tags"), validators=[Length(max=300)], description=_l("Separate tags with commas."))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000)])
    locale = SelectField(
        _l("Language for automatic replies"),
        choices=[SelectChoice("", _l("As they text (else the shop's)")), *LANGUAGE_CHOICES],
        filters=[lambda value: value or ""],  # None (not set) is the first choice
        default="",
    )


class DeleteMemberForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, delete this member with their purchases and points"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("Phone, last 4 digits, name or tag"))
