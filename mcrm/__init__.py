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

    configure_engine(app.config["DATABASE_URL"], pool_size=app.config["DATABASE_POOL_SIZE"])

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
    from mcrm.analytics.views import bp as analytics_bp
    from mcrm.api.token_views import bp as api_tokens_bp
    from mcrm.api.views import bp as api_bp
    from mcrm.apps.views import bp as apps_bp
    from mcrm.auth.views import bp as auth_bp
    from mcrm.care.views import bp as care_bp
    from mcrm.credits.views import bp as credits_bp
    from mcrm.dashboard.views import bp as dashboard_bp
    from mcrm.feedback.views import bp as feedback_bp
    from mcrm.keywords.views import bp as keywords_bp
    from mcrm.members.io_views import bp as member_io_bp
    from mcrm.members.views import bp as members_bp
    from mcrm.messaging.views import bp as messaging_bp
    from mcrm.points.views import bp as points_bp
    from mcrm.promotions.views import bp as promotions_bp
    from mcrm.reminders.views import bp as reminders_bp
    from mcrm.segments.views import bp as segments_bp
    from mcrm.settings.views import bp as settings_bp
    from mcrm.staff.views import bp as staff_bp
    from mcrm.surveys.views import bp as surveys_bp
    from mcrm.wap.views import bp as wap_bp

    blueprints = (
        auth_bp,
        dashboard_bp,
        members_bp,
        member_io_bp,
        analytics_bp,
        messaging_bp,
        segments_bp,
        promotions_bp,
        care_bp,
        surveys_bp,
        reminders_bp,
        feedback_bp,
        points_bp,
        apps_bp,
        settings_bp,
        keywords_bp,
        staff_bp,
        api_tokens_bp,
        credits_bp,
        wap_bp,
        admin_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    # The API authenticates with Bearer tokens, not cookies, so CSRF does not apply to it.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)

    from mcrm.cli import register_cli

    register_cli(app)
    return app
