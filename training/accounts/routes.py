"""Sign-in, one-time links, personal settings and 'download my data'."""

from __future__ import annotations

import secrets
from contextlib import nullcontext

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..concurrency import lock_on_first_write
from ..downloads import csv_download, download
from ..errors import InvalidInput
from ..extensions import db, limiter
from ..i18n import curriculum_languages, select_locale
from ..models_base import utcnow
from ..permissions import is_overseer, is_staff
from ..web import store
from ..webforms import attach_error, safe_next, wants_next
from . import services, throttle
from .export import export_csv, export_json, sections_of
from .forms import ChangePasswordForm, LanguageForm, LoginForm, SetPasswordForm

bp = Blueprint("accounts", __name__)


def _home() -> str:
    return url_for("root")


def _failed(response) -> bool:
    """Flask-Limiter counts only failed attempts: a class behind one address must all get in."""
    return response.status_code != 302


def _landing() -> str:
    """Where a sign-in lands: trainers (staff who oversee no site) on their cohorts; everyone else on
    the module list in their language, straight away (the root page would only redirect there; a
    class signing in at once queues for every extra hop)."""
    if is_staff(current_user) and not is_overseer(current_user):
        return url_for("cohorts.index")
    return url_for("learning.index", lang=select_locale())


@bp.route("/login", methods=["GET", "POST"])
@lock_on_first_write
def login():
    # Guessing is capped by database counters of failed attempts (accounts.throttle),
    # shared by every server process; successful sign-ins never count.
    if current_user.is_authenticated:
        return redirect(safe_next(wants_next(), _home()))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        now = utcnow()
        known = throttle.known_accounts(current_app, request)
        candidate = services.find_by_login(form.login.data)
        keys = throttle.keys_for(form.login.data, request.remote_addr or "", getattr(candidate, "id", None) in known)
        limited = current_app.config.get("RATELIMIT_ENABLED", True)  # one switch for every limit
        wait = throttle.wait_seconds(keys, now) if limited else 0
        if wait:
            form.form_errors.append(_("Too many attempts. Wait %(n)s seconds and try again.", n=wait))
            return render_template("accounts/login.html", form=form), 429
        user = services.authenticate(form.login.data, form.password.data, now=now)
        if user is not None:
            throttle.record_success(form.login.data)
            login_user(user, remember=form.remember.data)
            db.session.commit()
            response = redirect(safe_next(form.next.data, _landing()))
            throttle.remember_device(current_app, response, known, user.id)
            return response
        if limited:
            throttle.record_failure(keys, now)
        if secrets.randbelow(50) == 0:
            throttle.prune(now)
        db.session.commit()
        form.form_errors.append(_("Sign-in name or password is not right."))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # Server-side: a copied session or remember-me cookie must not open the journal again.
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    response = redirect(_home())
    # A shared phone: the pages the service worker saved (with this person's marks) go too.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], deduct_when=_failed)
def set_password(token: str):
    found = services.token_user(token)
    if found is None:
        return render_template("accounts/link_invalid.html"), 404
    _token, user = found
    # The link is for one account: its page speaks that account's language, whatever the browser says.
    # (An account without a language gets the usual choice: browser, then site.)
    with force_locale(user.language) if user.language in curriculum_languages() else nullcontext():
        form = SetPasswordForm()
        if form.validate_on_submit():
            if form.password.data != form.confirm.data:
                form.confirm.errors = [_("The two passwords are not the same.")]
            else:
                try:
                    user = services.set_password_with_token(token, form.password.data)
                except InvalidInput as exc:
                    attach_error(form, exc)
                else:
                    db.session.commit()
                    logout_user()
                    login_user(user)
                    flash(_("Your password is set. Welcome to PeerPath."), "info")
                    return redirect(_home())
        return render_template("accounts/set_password.html", form=form, user=user)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            form.confirm.errors = [_("The two passwords are not the same.")]
        else:
            try:
                services.change_password(current_user, form.current.data, form.password.data)
            except InvalidInput as exc:
                attach_error(form, exc)
            else:
                db.session.commit()
                login_user(current_user._get_current_object())  # the session id includes the hash
                flash(_("Your password is changed."), "info")
                return redirect(url_for("accounts.account"))
    return render_template("accounts/account.html", form=form, activity=services.account_activity(current_user))


@bp.post("/language")
def set_language():
    """The language switcher for signed-in users: saves the choice, then shows the same page."""
    form = LanguageForm()
    target = safe_next(form.next.data, _home())
    if not form.validate_on_submit() or form.language.data not in curriculum_languages():
        return redirect(target)
    if current_user.is_authenticated:
        services.set_language(current_user, form.language.data, curriculum_languages())
        db.session.commit()
    lang = form.language.data
    # Pages under /<lang>/ carry the language in the path: swap it.
    parts = target.split("/", 2)
    if len(parts) > 1 and parts[1] in curriculum_languages():
        target = "/" + lang + ("/" + parts[2] if len(parts) > 2 else "/")
    return redirect(target)


@bp.get("/account/my-data.json")
@login_required
def my_data_json():
    body = export_json(current_user, store(), sections_of(current_app))
    return download(body, "peerpath-my-data.json", "application/json")


@bp.get("/account/my-data.csv")
@login_required
def my_data_csv():
    return csv_download(export_csv(current_user, store(), sections_of(current_app)), "peerpath-my-data.csv")
