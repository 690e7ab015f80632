"""Forms of the member CSV import."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose the CSV file to import."))],
        description=_l("UTF-8 or GBK (what Excel saves), at most 10 MB."),
    )


class ImportConfirmForm(FlaskForm):
    confirm = SubmitField(_l("Import"))
    cancel = SubmitField(_l("Cancel this import"))
