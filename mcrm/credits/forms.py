"""The admin's top-up form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange


class TopUpForm(FlaskForm):
    credits = IntegerField(_l("SMS credits to add"), validators=[InputRequired(), NumberRange(min=1, max=10_000_000)])
    note = StringField(_l("Note"), validators=[Length(max=200)], description=_l("e.g. the invoice number"))
