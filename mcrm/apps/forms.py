"""The keyword-app wizard's forms (one per step, and one per app type for the texts) and their labels."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, ValidationError

from mcrm.apps.models import AnswerType, AppKind
from mcrm.apps.placeholders import KNOWN, PLACEHOLDER
from mcrm.apps.services import MAX_QUESTIONS

KIND_LABELS = {
    AppKind.AUTO_REPLY: _l("Auto-reply"),
    AppKind.SUBSCRIPTION: _l("Subscription list"),
    AppKind.LOOKUP: _l("Look-up"),
    AppKind.FORM: _l("Form"),
}
# One line each on step 1, with an example a shop would recognise.
KIND_HELP = {
    AppKind.AUTO_REPLY: _l("Answers the keyword with the same text every time, e.g. HI → “Hello Wang Fang, welcome!”"),
    AppKind.SUBSCRIPTION: _l(
        "Customers join a list by texting the keyword and leave it with the keyword and TD, e.g. XP for news of new "
        "products. Send promotions to the list later."
    ),
    AppKind.LOOKUP: _l("The keyword and a word find an answer in a small table you keep, e.g. JG 拿铁 → 28元."),
    AppKind.FORM: _l(
        "Asks a few questions one text at a time and keeps the answers, e.g. YD for a table booking: the date, then "
        "the party size."
    ),
}
ANSWER_TYPE_LABELS = {
    AnswerType.TEXT: _l("Any text"),
    AnswerType.NUMBER: _l("A number"),
    AnswerType.DATE: _l("A date"),
}
MAX_TEXT = 500  # an app's text: a few SMS at most
BLANK_QUESTION_ROWS = 5


def placeholders(*extra: str):
    """A validator: only the placeholders this text can fill, so a typo like {nmae} never reaches a customer."""
    allowed = (*KNOWN, *extra)

    def check(_form, field):
        unknown = [name for name in PLACEHOLDER.findall(field.data or "") if name not in allowed]
        if unknown:
            raise ValidationError(
                _(
                    "{%(unknown)s} is not a placeholder here. Use %(allowed)s.",
                    unknown=unknown[0],
                    allowed=", ".join(f"{{{name}}}" for name in allowed),
                )
            )

    return check


def coupon_placement(offer_field: str, *, empty_ok: bool = False):
    """A validator: {coupon} in the text exactly when the form's `offer_field` offers a coupon, so a member never
    gets a code they cannot see nor a bare "{coupon}". `empty_ok` when an empty text gets a default line with it."""

    def check(form, field):
        text = field.data or ""
        offered = bool((form[offer_field].data or "").strip())
        placed = "{coupon}" in text
        if offered and not placed and not (empty_ok and not text.strip()):
            raise ValidationError(_("Put {coupon} in the message where the code should go."))
        if placed and not offered:
            raise ValidationError(_("{coupon} needs a coupon offer: describe the offer, or take {coupon} out."))

    return check


class BasicsForm(FlaskForm):
    """Step 1: the keyword, the name, the type."""

    keyword = StringField(
        _l("Keyword"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("One word customers text, e.g. HI, XP, JG or 预订. Upper or lower case does not matter."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("For you and, for a list, in its confirmations: e.g. New products."),
    )
    kind = RadioField(
        _l("Type"),
        choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()],
        validators=[DataRequired(message=_l("Choose a type."))],
    )


class AutoReplyForm(FlaskForm):
    reply_text = TextAreaField(
        _l("Reply"),
        validators=[DataRequired(message=_l("Write the reply.")), Length(max=MAX_TEXT), placeholders()],
        render_kw={"rows": 3, "maxlength": MAX_TEXT},
    )


class SubscriptionForm(FlaskForm):
    reply_text = TextAreaField(
        _l("Answer when a customer joins"),
        validators=[Length(max=MAX_TEXT), placeholders()],
        description=_l("Optional. Left empty, customers get a standard answer naming the list and how to leave it."),
        render_kw={"rows": 3, "maxlength": MAX_TEXT},
    )
    leave_text = TextAreaField(
        _l("Answer when a customer leaves"),
        validators=[Length(max=MAX_TEXT), placeholders()],
        description=_l("Optional. Left empty, customers get a standard answer saying they left the list."),
        render_kw={"rows": 2, "maxlength": MAX_TEXT},
    )


class LookupForm(FlaskForm):
    table = TextAreaField(
        _l("Table"),
        validators=[Length(max=50_000)],
        description=_l(
            "One row per line: what customers text after the keyword, a comma, then the answer, e.g. 拿铁, 28元. "
            "A colon or a tab works too (paste from Excel), or a space when the key is one word."
        ),
        render_kw={"rows": 8},
    )
    reply_text = TextAreaField(
        _l("Answer"),
        validators=[Length(max=MAX_TEXT), placeholders("key", "value")],
        description=_l("Optional: {key} is the row's key, {value} its answer. Left empty: “{key}: {value}”."),
        render_kw={"rows": 2, "maxlength": MAX_TEXT},
    )
    not_found_text = TextAreaField(
        _l("Answer when nothing matches"),
        validators=[Length(max=MAX_TEXT), placeholders("key", "choices")],
        description=_l(
            "Optional: {key} is what the customer texted, {choices} a few of your keys. Left empty, customers "
            "get a standard answer listing a few keys."
        ),
        render_kw={"rows": 2, "maxlength": MAX_TEXT},
    )


class QuestionForm(Form):
    """One row of the form's questions (a sub-form: the page's form carries the CSRF token)."""

    prompt = StringField(_l("Question"), validators=[Length(max=300)])
    answer_type = SelectField(
        _l("Answer"),
        choices=[SelectChoice(kind.value, label) for kind, label in ANSWER_TYPE_LABELS.items()],
        default=AnswerType.TEXT.value,
    )


class FormAppForm(FlaskForm):
    questions = FieldList(FormField(QuestionForm), min_entries=BLANK_QUESTION_ROWS, max_entries=MAX_QUESTIONS)
    reply_text = TextAreaField(
        _l("Thank-you text"),
        validators=[Length(max=MAX_TEXT), placeholders()],
        description=_l("Optional: sent after the last answer. Left empty, customers get a standard thank-you."),
        render_kw={"rows": 2, "maxlength": MAX_TEXT},
    )
    notify_shop = BooleanField(_l("Text me each submission"))


TEXT_FORMS = {
    AppKind.AUTO_REPLY: AutoReplyForm,
    AppKind.SUBSCRIPTION: SubscriptionForm,
    AppKind.LOOKUP: LookupForm,
    AppKind.FORM: FormAppForm,
}


class ReviewForm(FlaskForm):
    """Step 3: on or off."""

    enabled = BooleanField(_l("Switch it on: customers can use it now"))


class DeleteAppForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, delete this app and everything it collected"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
