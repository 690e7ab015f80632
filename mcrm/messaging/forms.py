"""The portal's message forms: an SMS to a member, and a text from the phone simulator."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

# Long enough for any real message (15 UCS-2 parts), short enough to refuse a pasted document.
MAX_BODY = 1000


class SendSmsForm(FlaskForm):
    # A double tap or a resent form queues (and charges) once: the key becomes the message's dedupe key.
    idempotency_key = HiddenField(default=lambda: uuid.uuid4().hex, validators=[Length(max=64)])
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(), Length(max=MAX_BODY)],
        render_kw={"rows": 4, "maxlength": MAX_BODY},
    )


class SimulatorForm(FlaskForm):
    phone = StringField(
        _l("From phone"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    text = TextAreaField(
        _l("Text"),
        validators=[DataRequired(), Length(max=MAX_BODY)],
        render_kw={"rows": 3, "maxlength": MAX_BODY},
    )
