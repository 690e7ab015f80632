"""The survey builder, the send form, the results filter, and how question kinds and statuses read."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from mcrm.apps.forms import coupon_placement, placeholders
from mcrm.promotions.forms import AT, DEFAULT_COUPON_DAYS, NOW
from mcrm.surveys.models import QuestionKind, SurveyStatus
from mcrm.surveys.services import MAX_COUPON_DAYS, MAX_EXPIRE_HOURS, MAX_OFFER, MAX_QUESTIONS, MAX_REWARD

KIND_LABELS = {
    QuestionKind.SINGLE: _l("One choice"),
    QuestionKind.MULTIPLE: _l("Several choices"),
    QuestionKind.RATING5: _l("Rating 1–5"),
    QuestionKind.RATING10: _l("Rating 0–10 (NPS)"),
    QuestionKind.YES_NO: _l("Yes / no"),
    QuestionKind.NUMBER: _l("A number"),
    QuestionKind.TEXT: _l("Any text"),
}
STATUS_LABELS = {
    SurveyStatus.DRAFT: _l("Draft"),
    SurveyStatus.OPEN: _l("Open"),
    SurveyStatus.CLOSED: _l("Closed"),
}
BLANK_QUESTION_ROWS = 5
MAX_TEXT = 500  # a few SMS at most


class QuestionForm(Form):
    """One question row (a sub-form: the page's form carries the CSRF token)."""

    prompt = StringField(_l("Question"), validators=[Length(max=300)])
    kind = SelectField(
        _l("Answer"),
        choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()],
        default=QuestionKind.SINGLE.value,
    )
    options = TextAreaField(_l("Options, one per line"), validators=[Length(max=1000)], render_kw={"rows": 3})


class SurveyForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("For you, e.g. How was your meal? Customers do not see it."),
    )
    keyword = StringField(
        _l("Keyword"),
        validators=[Length(max=40)],
        description=_l("Optional: customers who text this word start the survey, e.g. DC or 调查."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    intro = TextAreaField(
        _l("Introduction"),
        validators=[Length(max=MAX_TEXT)],
        description=_l("Optional: sent with the first question, e.g. Thank you for dining with us! 3 quick questions."),
        render_kw={"rows": 2, "maxlength": MAX_TEXT},
    )
    questions = FieldList(FormField(QuestionForm), min_entries=BLANK_QUESTION_ROWS, max_entries=MAX_QUESTIONS)
    thank_you = TextAreaField(
        _l("Thank-you text"),
        # Empty with an offer is fine: the thanks then reads the code with a default line.
        validators=[Length(max=MAX_TEXT), placeholders("coupon"), coupon_placement("coupon_offer", empty_ok=True)],
        description=_l("Optional: sent after the last answer."),
        render_kw={"rows": 2, "maxlength": MAX_TEXT},
    )
    reward_points = IntegerField(
        _l("Reward (points)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_REWARD)],
        description=_l("Credited to a member who answers every question; 0 for none."),
        render_kw={"inputmode": "numeric"},
    )
    coupon_offer = StringField(
        _l("Coupon offer (optional)"),
        validators=[Length(max=MAX_OFFER)],
        description=_l("E.g. A free dessert: a member who answers every question gets their own code."),
    )
    coupon_valid_days = IntegerField(
        _l("Valid for (days)"),
        default=DEFAULT_COUPON_DAYS,
        validators=[Optional(), NumberRange(min=1, max=MAX_COUPON_DAYS)],
        render_kw={"inputmode": "numeric"},
    )
    expire_hours = IntegerField(
        _l("Wait for an answer (hours)"),
        default=48,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_EXPIRE_HOURS)],
        description=_l("A question left unanswered this long ends the customer's survey."),
        render_kw={"inputmode": "numeric"},
    )


class SendForm(FlaskForm):
    segment_id = SelectField(
        _l("Audience"),
        coerce=int,
        validate_choice=False,  # the service checks the segment belongs to the shop
        validators=[DataRequired(message=_l("Choose a segment."))],
    )
    when = RadioField(
        _l("When"),
        choices=[SelectChoice(NOW, _l("Send now")), SelectChoice(AT, _l("At a date and time"))],
        default=NOW,
    )
    send_at = DateTimeLocalField(
        _l("Date and time"), validators=[Optional()], format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.when.data == AT and self.send_at.data is None and not self.send_at.errors:
            self.send_at.errors.append(_l("Choose the date and time."))
            valid = False
        return valid

    @property
    def send_at_local(self):
        """The naive shop-local time typed; None to send now."""
        return self.send_at.data if self.when.data == AT else None
