"""What every page needs: template globals, the language switcher, error pages."""

from __future__ import annotations

from flask import Flask, current_app, g, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale, lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import BadRequest, HTTPException, NotFound

from .curriculum import CurriculumStore
from .errors import NotFoundError
from .i18n import (
    curriculum_languages,
    format_minutes,
    language_choices,
    language_name,
    select_locale,
    text_direction,
)
from .qr import qr_svg
from .roles import role_name
from .textcheck import has_control_characters, strip_bidi_controls


def store() -> CurriculumStore:
    """The app's one curriculum store (every area reads content through it)."""
    return current_app.extensions["curriculum"]


def current_site_id() -> str | None:
    return getattr(g, "site_id", None)


def select_timezone() -> str | None:
    site = store().site(current_site_id())
    return site.timezone if site else None


def offered_languages() -> tuple[str, ...]:
    site = store().site(current_site_id())
    return site.languages if site else curriculum_languages()


def switch_language_url(code: str) -> str:
    """The current page in another language, or that language's home page."""
    if (
        request.endpoint
        and request.view_args is not None
        and "lang" in (request.url_rule.arguments if request.url_rule else ())
    ):
        args = {**request.view_args, "lang": code}
        return url_for(request.endpoint, **args)
    return url_for("learning.index", lang=code)


def _no_bidi_controls(value):
    # Plain strings are data (names, notes); Markup is trusted curriculum HTML and stays as written.
    if isinstance(value, str) and not isinstance(value, Markup):
        return strip_bidi_controls(value)
    return value


def strip_controls(text: str) -> str:
    return "".join(c for c in text if not has_control_characters(c))[:40]


def init_app(app: Flask) -> None:
    @app.context_processor
    def page_globals():
        lang = str(get_locale() or "en")
        site = store().site(current_site_id())  # once per page
        return {
            "ui_lang": lang,
            "ui_dir": text_direction(lang),
            "languages": language_choices(site.languages if site else curriculum_languages()),
            "switch_language_url": switch_language_url,
            "curriculum_title": store().meta().title(lang),
            "text_direction": text_direction,
            "language_name": language_name,
            "format_minutes": format_minutes,
            "format_number": format_decimal,
            "format_percent": format_percent,
            "format_date": format_date,
            "format_datetime": format_datetime,
            "role_name": role_name,
            "site_name": site.name if site else None,
            "qr_svg": qr_svg,
            "plain_form": FlaskForm,
            "current_path": request.full_path.rstrip("?") if request else "/",
        }

    @app.before_request
    def refuse_control_characters_in_query():
        # Query strings reach filters and queries directly: one check for all of them.
        for name, value in request.args.items(multi=True):
            if has_control_characters(name) or has_control_characters(value):
                raise BadRequest(
                    description=lazy_gettext(
                        "The address holds invisible control characters (in “%(name)s”). Check the link.",
                        name=strip_controls(name),
                    )
                )

    # Every printed value, on pages and in PDFs: no direction overrides, so a name cannot
    # make the rest of a line read backwards (names are also cleaned when saved).
    app.jinja_env.finalize = _no_bidi_controls

    @app.get("/favicon.ico")
    def favicon():
        # Browsers ask for /favicon.ico whatever the page says; without this it would look like a language.
        return app.send_static_file("favicon.svg")

    @app.get("/")
    def root():
        return redirect(url_for("learning.index", lang=select_locale()))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        # Show what was typed so nothing is lost, and explain; never act on the request.
        typed = [
            (k, v)
            for k, v in request.form.items(multi=True)
            if k not in ("csrf_token", "password", "confirm", "current", "next") and v.strip()
        ]
        return render_template("errors/csrf.html", typed=typed), 400

    @app.errorhandler(NotFoundError)
    def not_found_error(error: NotFoundError):
        return http_error(NotFound())

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/healthz") or request.accept_mimetypes.best == "application/json":
            return {"error": error.name, "status": error.code}, error.code
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        # Never a stack trace for users; the log has it.
        current_app.logger.exception("unhandled error on %s", request.path)
        # The failed request may have left the session mid-transaction: without a rollback the
        # error page itself (which loads the signed-in user) fails, and users see a bare 500.
        from .extensions import db

        db.session.rollback()
        return render_template("errors/error.html", error=None), 500
