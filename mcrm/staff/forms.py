"""Forms for the shop's users."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from tenants.models import Role

ROLE_LABELS = {Role.OWNER: _l("Owner"), Role.STAFF: _l("Staff")}
ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


def mobile_field() -> StringField:
    return StringField(
        _l("Mobile (for SMS commands and complaint alerts)"),
        validators=[Optional(), Length(max=40)],
        description=_l(
            "From this phone they can text XF (record a purchase) and CX (look up a member) to the shop's number; "
            "owners also QF (broadcast to a list). It also works as a login."
        ),
    )


class StaffCreateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    login = StringField(_l("Email or mobile"), validators=[DataRequired(), Length(max=254)])
    mobile = mobile_field()
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("Tell it to them in person; they can change it after logging in."),
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.STAFF.value)


class StaffEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    mobile = mobile_field()
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    active = BooleanField(_l("May log in"))
    new_password = PasswordField(
        _l("New password"),
        validators=[Optional(), Length(max=200)],
        description=_l("Only to reset a forgotten password; leave empty to keep it."),
    )
