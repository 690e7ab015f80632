"""Error pages in the reader's language."""

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l

PAGES = {
    400: (_l("Bad request"), _l("The form was out of date or incomplete. Go back, reload the page and try again.")),
    403: (_l("Not allowed"), _l("Your role does not allow this. Ask the shop's owner.")),
    404: (_l("Not found"), _l("There is nothing here, or it belongs to another shop.")),
    429: (_l("Too many attempts"), _l("Too many failed logins. Wait 15 minutes and try again.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Please try again in a moment.")),
}


def init_app(app: Flask) -> None:
    for code, (title, message) in PAGES.items():

        def handler(_error, title=title, message=message, code=code):
            return render_template("errors/error.html", title=title, message=message), code

        app.register_error_handler(code, handler)
