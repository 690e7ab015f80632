"""Who may open a view. Shop pages need a shop user; admin pages answer 404 to everyone else."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def shop_user_required(view):
    """Owner or staff of a shop."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.tenant_id is None:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def owner_required(view):
    """The shop's owner: settings, staff, exports."""

    @wraps(view)
    @shop_user_required
    def wrapped(*args, **kwargs):
        if not current_user.is_owner:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    """The platform operator; the admin area does not exist for anyone else."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapped
