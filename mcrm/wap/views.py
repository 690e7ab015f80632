"""WAP pages for staff at the counter."""

from flask import Blueprint, g, redirect, render_template, url_for
from flask_login import current_user

from mcrm.auth.decorators import shop_user_required
from mcrm.auth.forms import LoginForm, PasswordChangeForm
from mcrm.auth.throttle import throttled_login
from mcrm.auth.views import apply_password_change, home_for, log_in, safe_next

bp = Blueprint("wap", __name__, url_prefix="/m")


@bp.route("/login", methods=["GET", "POST"])
@throttled_login
def login():
    if current_user.is_authenticated:
        return redirect(wap_home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit() and log_in(form):
        return redirect(safe_next(wap_home_for(current_user)))
    return render_template("wap/login.html", form=form)


def wap_home_for(user) -> str:
    # Platform admins have no counter page.
    return home_for(user) if user.is_admin else url_for("wap.home")


@bp.route("/")
@shop_user_required
def home():
    return render_template("wap/home.html", tenant=g.tenant)


@bp.route("/password", methods=["GET", "POST"])
@shop_user_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit() and apply_password_change(form):
        return redirect(url_for("wap.home"))
    return render_template("wap/password.html", form=form)
