"""Which language a page is shown in: the user's choice, then the shop's, then the browser's."""

from __future__ import annotations

from flask import has_request_context, request, session
from flask_login import current_user

from mcrm.config import LANGUAGES


def select_locale() -> str:
    if not has_request_context():
        # CLI and jobs: operators read English; jobs that write to people use force_locale.
        return "en"
    if current_user.is_authenticated:
        if current_user.locale in LANGUAGES:
            return current_user.locale
    elif session.get("locale") in LANGUAGES:
        return session["locale"]
    tenant = getattr(current_user, "tenant", None)
    if tenant is not None and tenant.locale in LANGUAGES:
        return tenant.locale
    return request.accept_languages.best_match(LANGUAGES, default="zh_CN")


def select_timezone() -> str:
    tenant = getattr(current_user, "tenant", None) if has_request_context() else None
    return tenant.timezone if tenant is not None else "Asia/Shanghai"
