"""Small helpers views share: safe redirects, service errors onto form fields, access checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField

from . import textcheck
from .errors import InvalidInput


def field_problem(field) -> str | None:
    """The shared check for one submitted field: control characters, dates and ids out of range."""
    multiline = isinstance(field, TextAreaField)
    for raw in field.raw_data or ():
        if isinstance(raw, str) and textcheck.has_control_characters(raw, multiline=multiline):
            return str(textcheck.CONTROL_MESSAGE)
    values = field.data if isinstance(field.data, list) else [field.data]
    for value in values:
        if isinstance(field, DateField) and value is not None and not textcheck.date_in_range(value):
            return str(textcheck.DATE_RANGE_MESSAGE)
        if isinstance(value, int) and not isinstance(value, bool) and not textcheck.int_in_range(value):
            return str(textcheck.INT_RANGE_MESSAGE)
    return None


class CheckedForm(FlaskForm):
    """The base of every form: on top of its own validators, each field passes ``field_problem``.

    One place, so no form can forget it: a NUL byte in any field is a message beside that
    field, never a database error."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            problem = field_problem(field)
            if problem:
                field.errors = [*list(field.errors or []), problem]
                valid = False
        return valid


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: no scheme, no host, no '//' or backslash tricks."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def attach_error(form: FlaskForm, error: InvalidInput) -> None:
    """Show a service's message beside the field it names (or at the top of the form)."""
    field = getattr(form, error.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors or []), str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def requires(permission: Callable[[Any], bool]) -> Callable:
    """Signed in, and ``permission(current_user)`` holds (a function of training.permissions);
    anonymous visitors are sent to sign in, everyone else gets 404 (no hint the page exists)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not permission(current_user):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def wants_next() -> str | None:
    return request.args.get("next") or request.form.get("next")


def link_page(person, secret: str, purpose: str, back: str):
    """Show a one-time link to hand over (printable, with QR); mail it too when SMTP is configured."""
    from flask import render_template, url_for

    from .mail import send_link

    url = url_for("accounts.set_password", token=secret, _external=True)
    sent = bool(person.email) and send_link(person.email, person.name, url, purpose, person.language or "en")
    return render_template(
        "accounts/link.html", person=person, secret=secret, purpose=purpose, back=back, mail_sent=sent
    )
