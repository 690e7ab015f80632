"""Forms of the platform admin."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from mcrm.auth.forms import LANGUAGE_CHOICES
from tenants.plans import PLAN_TERMS


class ShopCreateForm(FlaskForm):
    name = StringField(_l("Shop name"), validators=[DataRequired(), Length(max=80)])
    extension = StringField(
        _l("SMS extension"),
        validators=[Optional(), Regexp(r"^\d{1,8}$", message=_l("1 to 8 digits."))],
        description=_l("Leave empty to assign the next free one."),
    )
    locale = SelectField(_l("Shop language"), choices=LANGUAGE_CHOICES)
    owner_name = StringField(_l("Owner's name"), validators=[DataRequired(), Length(max=80)])
    owner_login = StringField(_l("Owner's email or mobile"), validators=[DataRequired(), Length(max=254)])
    owner_password = PasswordField(_l("Owner's initial password"), validators=[DataRequired()])


class ShopStatusForm(FlaskForm):
    plan = SelectField(_l("Plan"), choices=[SelectChoice(p.value, t.label) for p, t in PLAN_TERMS.items()])
