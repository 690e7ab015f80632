"""The owner's API token pages in the portal: list, create (the token is shown once), revoke."""

from flask import Blueprint, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mcrm.api.forms import TokenForm
from mcrm.api.models import ApiToken
from mcrm.api.services import TokenError, create_token, revoke_token, shop_tokens
from mcrm.auth.decorators import owner_required
from mcrm.db import db
from tenants.isolation import get_or_404

bp = Blueprint("api_tokens", __name__, url_prefix="/settings/api-tokens")


def _index(form: TokenForm, status: int = 200):
    return render_template("api_tokens/index.html", tokens=shop_tokens(g.tenant), form=form), status


@bp.route("/")
@owner_required
def index():
    return _index(TokenForm())


@bp.route("/", methods=["POST"])
@owner_required
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _index(form, 422)
    try:
        token, text = create_token(g.tenant, form.name.data, by_user=current_user)
    except TokenError as error:
        db.rollback()
        form.name.errors.append(str(error))
        return _index(form, 422)
    db.commit()
    # The token is in this response only: not in a flash message (the session cookie is signed,
    # not encrypted) and not in any cache.
    response = make_response(render_template("api_tokens/created.html", token=token, text=text))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@owner_required
def revoke(token_id: int):
    token = get_or_404(ApiToken, token_id)
    if revoke_token(token):
        db.commit()
        flash(
            _(
                "Token %(prefix)s… (%(name)s) revoked: requests with it are refused.",
                prefix=token.prefix,
                name=token.name,
            ),
            "success",
        )
    return redirect(url_for("api_tokens.index"))
