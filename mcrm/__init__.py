"""M-CRM: the application factory. It only wires: config, extensions, blueprints, CLI."""

from __future__ import annotations

from flask import Flask

from mcrm.config import PROJECT_ROOT, load_config


def create_app(overrides: dict | None = None) -> Flask:
    config = load_config(overrides)
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(config["MCRM_INSTANCE_DIR"].resolve()),
    )
    app.config.update(config)
    if config["MCRM_PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = config["MCRM_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from mcrm.db import configure_engine

    configure_engine(app.config["DATABASE_URL"])

    from mcrm import errors, hooks
    from mcrm.extensions import babel, csrf, limiter, login_manager
    from mcrm.i18n import select_locale, select_timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    hooks.init_app(app)
    errors.init_app(app)

    from mcrm.admin.views import bp as admin_bp
    from mcrm.auth.views import bp as auth_bp
    from mcrm.dashboard.views import bp as dashboard_bp
    from mcrm.settings.views import bp as settings_bp
    from mcrm.staff.views import bp as staff_bp
    from mcrm.wap.views import bp as wap_bp

    for blueprint in (auth_bp, dashboard_bp, settings_bp, staff_bp, wap_bp, admin_bp):
        app.register_blueprint(blueprint)

    from mcrm.cli import register_cli

    register_cli(app)
    return app
