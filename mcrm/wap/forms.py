"""Forms of the WAP page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from mcrm.members.forms import validate_birthday


class FindForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search

    q = StringField(_l("Mobile or its last 4 digits"), validators=[DataRequired(), Length(max=40)])


class RegisterForm(FlaskForm):
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[Length(max=80)])
    birthday = StringField(_l("Birthday (optional)"), validators=[Length(max=20), validate_birthday])


class CouponForm(FlaskForm):
    class Meta:
        csrf = False  # a GET look-up; redeeming posts CouponRedeemForm

    code = StringField(_l("Coupon code"), validators=[DataRequired(), Length(max=40)])


class CouponRedeemForm(FlaskForm):
    code = HiddenField(validators=[DataRequired(), Length(max=40)])
