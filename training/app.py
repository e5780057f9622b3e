"""The application factory: ``create_app()`` builds the app as a list of small named steps.

Kept out of ``training/__init__.py`` so that importing the curriculum engine
(``training.curriculum``) does not import Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from .config import DEFAULTS, PROJECT_ROOT, from_environment


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app as a list of small steps; tests pass settings in ``test_config``."""
    app = Flask(
        "training",
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    configure_settings(app, test_config)
    configure_database(app)
    configure_curriculum(app)
    configure_i18n(app)
    configure_security(app)
    configure_urls(app)
    configure_blueprints(app)
    configure_templates(app)
    configure_personal_data(app)
    configure_commands(app)
    return app


def configure_settings(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if test_config is None or not test_config.get("TESTING"):
        app.config.from_mapping(from_environment(instance))
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("MANUAL_CACHE_DIR"):
        app.config["MANUAL_CACHE_DIR"] = str(instance / "manuals")
    if not app.config.get("SOURCE_REVISIONS_DIR"):
        app.config["SOURCE_REVISIONS_DIR"] = str(instance / "source-revisions")


def configure_database(app: Flask) -> None:
    from . import database

    database.init_app(app)


def configure_curriculum(app: Flask) -> None:
    from . import content

    content.init_app(app)


def configure_i18n(app: Flask) -> None:
    from . import web
    from .extensions import babel
    from .i18n import select_locale

    babel.init_app(app, locale_selector=select_locale, timezone_selector=web.select_timezone)
    web.init_app(app)


def configure_security(app: Flask) -> None:
    from .accounts.session import init_app as init_sessions
    from .extensions import csrf, limiter

    if app.config.get("PROXY_COUNT"):
        # Behind a TLS proxy: trust its X-Forwarded-* headers, so rate limits count real
        # clients and links carry the public https address.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    from . import static_files

    static_files.init_app(app)  # before the hook below, so its Cache-Control has the last word
    csrf.init_app(app)
    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    limiter.init_app(app)
    init_sessions(app)

    @app.after_request
    def security_headers(response):
        # No inline scripts or third-party resources anywhere: a strict policy costs nothing.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Shared phones: pages for a signed-in person (journals, sign-in links) must not come
        # back from the browser's history for the next person who picks the phone up.
        from flask import request
        from flask_login import current_user

        if current_user.is_authenticated or request.path.startswith("/set-password"):
            response.headers["Cache-Control"] = "no-store"
        return response


def configure_urls(app: Flask) -> None:
    from werkzeug.routing import IntegerConverter

    class DatabaseId(IntegerConverter):
        """Ids in URLs fit a database integer: a huge number is a 404, not an overflow."""

        def __init__(self, url_map, *args, **kwargs):
            kwargs.setdefault("max", 2**31 - 1)
            super().__init__(url_map, *args, **kwargs)

    app.url_map.converters["int"] = DatabaseId


def configure_blueprints(app: Flask) -> None:
    from .accounts.manage import bp as manage_bp
    from .accounts.routes import bp as accounts_bp
    from .assessments.audit_routes import bp as audit_bp
    from .assessments.certificate_routes import bp as certificates_bp
    from .assessments.routes import bp as assessments_bp
    from .cohorts.routes import bp as cohorts_bp
    from .curriculum_admin.routes import bp as curriculum_admin_bp
    from .health import bp as health_bp
    from .learning.routes import bp as learning_bp
    from .manuals.routes import bp as manuals_bp
    from .offline.routes import bp as offline_bp
    from .paper.routes import bp as paper_bp
    from .reports.routes import bp as reports_bp
    from .translations.routes import bp as translations_bp

    for blueprint in (
        health_bp,
        accounts_bp,
        manage_bp,
        cohorts_bp,
        assessments_bp,
        certificates_bp,
        audit_bp,
        manuals_bp,
        paper_bp,
        reports_bp,
        curriculum_admin_bp,
        translations_bp,
        offline_bp,
        learning_bp,  # last: its URLs start with a language code, /<lang>/
    ):
        app.register_blueprint(blueprint)


def configure_templates(app: Flask) -> None:
    """Pages ask the same permission functions as the code (``may_run_cohort(current_user, cohort)``)."""
    from .permissions import TEMPLATE_GLOBALS

    app.jinja_env.globals.update(TEMPLATE_GLOBALS)


def configure_personal_data(app: Flask) -> None:
    """'Download my data': every area that keeps records about a person adds its section here."""
    from .accounts.export import register_personal_data
    from .assessments import personal_data as assessments
    from .cohorts import personal_data as cohorts
    from .learning import personal_data as learning

    register_personal_data(app, "cohorts", cohorts.cohorts_of)
    register_personal_data(app, "progress", learning.progress_of)
    register_personal_data(app, "reflections", learning.reflections_of)
    register_personal_data(app, "assessments", assessments.assessments_of)
    register_personal_data(app, "certificates", assessments.certificates_of)


def configure_commands(app: Flask) -> None:
    from .accounts.cli import users_cli
    from .assessments.cli import assessments_cli
    from .curriculum_admin.cli import curriculum_cli
    from .demo import demo_cli
    from .manuals.cli import manuals_cli
    from .offline.cli import offline_cli

    for group in (curriculum_cli, users_cli, demo_cli, manuals_cli, assessments_cli, offline_cli):
        app.cli.add_command(group)
