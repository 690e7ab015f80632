"""The owner's keyword settings: aliases for system keywords, and the wording of automatic replies."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from mcrm.keywords.system import Action

ACTION_LABELS = {
    Action.JOIN: _l("Join"),
    Action.POINTS: _l("Points balance"),
    Action.STOP: _l("Stop (unsubscribe)"),
    Action.RESUME: _l("Resume"),
    Action.HELP: _l("Help"),
    Action.FEEDBACK: _l("Feedback"),
    Action.COMPLAINT: _l("Complaint"),
    Action.SUGGESTION: _l("Suggestion"),
}


class AliasForm(FlaskForm):
    alias = StringField(_l("New keyword"), validators=[DataRequired(), Length(max=20)])
    action = SelectField(
        _l("Does the same as"), choices=[SelectChoice(a.value, label) for a, label in ACTION_LABELS.items()]
    )
