"""Flask-Login wiring: loading the signed-in user, the site they work in, the login page."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db, login_manager
from .models import User


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    if int(user_id) > 2**31 - 1:
        return None
    user = db.session.get(User, int(user_id))
    # Sign-out, a new password and deactivation raise the version: older cookies are dead.
    if user is None or not user.active or int(version) != (user.session_version or 0):
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"

    @app.before_request
    def site_of_user() -> None:
        # The site decides overlays, offered languages and the time zone.
        g.site_id = getattr(current_user, "site_id", None) if current_user.is_authenticated else None
