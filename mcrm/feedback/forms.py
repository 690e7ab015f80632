"""The inbox's answer form, for the portal and the WAP page."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from mcrm.messaging.forms import MAX_BODY


class AnswerForm(FlaskForm):
    # A double tap or a resent form texts (and charges) once: the key becomes the message's dedupe key.
    idempotency_key = HiddenField(default=lambda: uuid.uuid4().hex, validators=[Length(max=64)])
    body = TextAreaField(
        _l("Your answer by SMS"),
        validators=[DataRequired(message=_l("Write an answer first.")), Length(max=MAX_BODY)],
        render_kw={"rows": 4, "maxlength": MAX_BODY},
    )
