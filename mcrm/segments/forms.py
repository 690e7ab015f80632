"""The segment builder's form: a name and the conditions as JSON, which segments.js keeps in sync."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from mcrm.segments.services import MAX_NAME


class SegmentForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the segment a name.")), Length(max=MAX_NAME)],
        render_kw={"id": "segment-name", "maxlength": MAX_NAME},
    )
    # Checked by parse_definition on save, which names the bad condition.
    definition = HiddenField(default='{"match": "all", "groups": []}')


class DeleteSegmentForm(FlaskForm):
    """Only the CSRF token: deleting is a POST."""
