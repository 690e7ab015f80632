"""Error pages in the reader's language, for every HTTP error."""

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from mcrm.db import db

PAGES = {
    400: (_l("Bad request"), _l("The form was out of date or incomplete. Go back, reload the page and try again.")),
    403: (_l("Not allowed"), _l("Your role does not allow this. Ask the shop's owner.")),
    404: (_l("Not found"), _l("There is nothing here, or it belongs to another shop.")),
    405: (_l("Not allowed"), _l("This page cannot be opened that way. Go back and use the buttons on the page.")),
    429: (_l("Too many attempts"), _l("Too many failed logins. Wait 15 minutes and try again.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Please try again in a moment.")),
}
OTHER = (_l("Something went wrong"), _l("The request could not be completed. Go back and try again."))


def _render(error: HTTPException):
    title, message = PAGES.get(error.code, OTHER)
    return render_template("errors/error.html", title=title, message=message), error.code


def _internal_error(error: InternalServerError):
    db.rollback()  # the failed transaction must not leak into the error page's queries
    return _render(error)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _render)
    app.register_error_handler(InternalServerError, _internal_error)
