"""Per-request wiring: who is logged in, which shop the request is scoped to, session cleanup."""

from __future__ import annotations

from flask import Flask, abort, g, redirect, request, url_for
from flask_login import current_user

from mcrm.db import db
from mcrm.extensions import login_manager
from mcrm.i18n import select_locale
from tenants.isolation import bind_tenant, clear_scope, unscoped
from tenants.models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The cookie's user, if its session version is still current and the user may log in."""
    try:
        id_part, version_part = user_id.split(":")
        uid, version = int(id_part), int(version_part)
    except ValueError:
        return None
    with unscoped():
        user = db.get(User, uid)
    if user is None or user.session_version != version or not user.is_active:
        return None
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    # The WAP page has its own login, sized for a cheap phone.
    endpoint = "wap.login" if request.blueprint == "wap" else "auth.login"
    return redirect(url_for(endpoint, next=request.full_path.rstrip("?")))


def _refuse_nul_bytes() -> None:
    # No person types a NUL; PostgreSQL refuses it in text, so it would surface as a 500 later.
    if request.blueprint == "api":
        return  # the API checks every field against its schema (NUL included) and answers 422, as documented
    values = list(request.args.values())
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # Only forms: touching request.form on a JSON body would read it before the API sets its size limit.
        values += request.form.values()
    if any("\x00" in value for value in values):
        abort(400)


def _scope_request() -> None:
    clear_scope()
    if current_user.is_authenticated:
        bind_tenant(current_user.tenant_id)
        g.tenant = current_user.tenant


def _release_session(_exc: BaseException | None) -> None:
    db.remove()
    clear_scope()


def _template_globals() -> dict:
    from mcrm.auth.forms import LanguageForm

    # Our own code (zh_CN, en), not Babel's expanded name (zh_Hans_CN).
    return {"language_form": LanguageForm(), "current_locale": select_locale()}


def init_app(app: Flask) -> None:
    app.context_processor(_template_globals)
    login_manager.session_protection = "basic"
    app.before_request(_refuse_nul_bytes)
    app.before_request(_scope_request)
    # Per request (the test client can share one app context across requests) and per CLI command.
    app.teardown_request(_release_session)
    app.teardown_appcontext(_release_session)
