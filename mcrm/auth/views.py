"""Sign-up, login, logout, language and password views of the portal."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE

from mcrm.auth.forms import LanguageForm, LoginForm, PasswordChangeForm, SignupForm
from mcrm.auth.services import authenticate
from mcrm.auth.throttle import signups_per_address, throttled_login
from mcrm.db import db
from mcrm.shops import open_shop
from tenants.isolation import bind_tenant
from tenants.services import TenantError, change_password

bp = Blueprint("auth", __name__)


def safe_next(default: str) -> str:
    """The ?next= target when it stays on this site, else `default`."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def home_for(user) -> str:
    return url_for("admin.shops") if user.is_admin else url_for("dashboard.index")


def log_in(form: LoginForm) -> bool:
    """Log the form's user in, or put the reason on the form; True on success."""
    user, problem = authenticate(form.login.data, form.password.data)
    if user is None:
        form.password.errors.append(problem)
        return False
    # A fresh session on login, so a planted session is worthless; a language picked on the login
    # page survives and becomes the user's choice when they have made none.
    locale = session.get("locale")
    session.clear()
    if locale and not user.locale:
        user.locale = locale
        db.commit()
    login_user(user, remember=form.remember.data)
    return True


@bp.route("/login", methods=["GET", "POST"])
@throttled_login
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit() and log_in(form):
        return redirect(safe_next(home_for(current_user)))
    return render_template("auth/login.html", form=form)


@bp.route("/signup", methods=["GET", "POST"])
@signups_per_address
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            tenant = open_shop(
                name=form.shop_name.data,
                owner_name=form.owner_name.data,
                owner_login=form.login.data,
                owner_password=form.password.data,
                locale=form.locale.data,
            )
        except TenantError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            session.clear()
            bind_tenant(tenant.id)  # the rest of this request belongs to the new shop
            login_user(tenant.users[0])
            flash(_("Welcome! Your shop %(name)s is ready.", name=tenant.name), "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/signup.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Ends this and every other session of the user, including remember-me cookies.
    current_user.session_version += 1
    db.commit()
    wap = request.form.get("face") == "wap"
    session.clear()
    logout_user()  # after the clear, so Flask-Login still deletes the remember-me cookie
    return redirect(url_for("wap.login" if wap else "auth.login"))


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.commit()
        else:
            session["locale"] = form.locale.data
    return redirect(safe_next(url_for("auth.login")))


def apply_password_change(form: PasswordChangeForm) -> bool:
    """Change the current user's password from the form, or put the reason on it; True on success."""
    try:
        change_password(current_user, form.current.data, form.new.data)
    except TenantError as error:
        db.rollback()
        form.new.errors.append(str(error))
        return False
    db.commit()
    # Every other session is over; this one continues under the new session version, and keeps
    # its remember-me cookie if it had one.
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE) in request.cookies
    login_user(current_user._get_current_object(), remember=remembered)
    flash(_("Password changed. Other sessions have been logged out."), "success")
    return True


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit() and apply_password_change(form):
        return redirect(home_for(current_user))
    return render_template("auth/password.html", form=form)
