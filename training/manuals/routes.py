"""Manuals on the web: choose, wait (a page that refreshes itself), download, retry.

Staff only; trainees get 404. Admins print for any site (or none);
coordinators and trainers only for their own site, and only see its builds.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from wtforms.fields.choices import SelectChoice

from ..curriculum import native_name
from ..errors import NotFoundError
from ..extensions import db, limiter
from ..models_base import utcnow
from ..permissions import is_staff, manual_sites, may_see_manual_build, oversees_every_site
from ..web import store
from ..webforms import requires
from . import jobs
from .forms import ManualForm
from .labels import TEXT
from .models import BuildStatus, ManualBuild
from .options import OptionsError, resolve

bp = Blueprint("manuals", __name__, url_prefix="/manuals")


@bp.record_once
def _reap_on_start(state) -> None:
    """At start, builds left by a previous process (its threads died with it) are marked failed."""
    app = state.app
    pending = {"first": True}

    @app.before_request
    def reap_once() -> None:
        if not pending.pop("first", False):
            return
        try:
            jobs.reap_dead_builds()
        except Exception:  # no table yet (before `flask db upgrade`), or the database is down
            db.session.rollback()
            current_app.logger.warning("manual builds: start-up check skipped", exc_info=True)


REFRESH_SECONDS = 2


def _chosen_site(sites: list[str | None]) -> str | None:
    wanted = request.values.get("site") or None
    if wanted in sites:
        return wanted
    if not oversees_every_site(current_user):
        return sites[0] if sites else None
    return None if None in sites else sites[0]


def unavailable_message() -> str:
    return _("The build service is unavailable right now. Nothing was lost: please try again later.")


def limit_message(exc: jobs.BuildLimitReached) -> str:
    if exc.mine:
        return _("You have manuals being built already. Wait until one is ready, then ask for the next.")
    return _("Many manuals are being built right now. Please try again in a few minutes.")


def _build_or_404(build_id: int) -> ManualBuild:
    build = db.session.get(ManualBuild, build_id)
    if build is None or not may_see_manual_build(current_user, build, store().sites()):
        raise NotFoundError("no such build")
    return build


def _visible_builds():
    query = select(ManualBuild).order_by(ManualBuild.updated_at.desc()).limit(20)
    if not oversees_every_site(current_user):
        query = query.where(ManualBuild.site_id == current_user.site_id)
    return list(db.session.scalars(query))


@bp.route("/", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
@requires(is_staff)
def index():
    sites = manual_sites(current_user, store().sites())
    if not sites:
        abort(404)
    site_id = _chosen_site(sites)
    site = store().site(site_id)
    languages = site.languages if site else store().meta().languages
    form = ManualForm()
    status = 200
    form.lang.choices = [SelectChoice(code, native_name(code)) for code in languages]
    if request.method == "GET":
        form.lang.data = request.args.get("lang") if request.args.get("lang") in languages else languages[0]
    titles_lang = form.lang.data if form.lang.data in languages else languages[0]
    form.modules.choices = [SelectChoice(v.slug, v.title) for v in store().modules(titles_lang, site)]
    if form.validate_on_submit():
        try:
            options = resolve(
                store(),
                kind=form.kind.data,
                lang=form.lang.data,
                site=site_id,
                modules=form.modules.data or [],
                paper=form.paper.data,
            )
        except OptionsError as exc:
            form.form_errors.append(exc.message)
        else:
            try:
                build = jobs.request_build(options, current_user)
            except jobs.BuildServiceUnavailable:
                form.form_errors.append(unavailable_message())
                status = 503
            except jobs.BuildLimitReached as exc:
                form.form_errors.append(limit_message(exc))
            else:
                return redirect(url_for("manuals.status", build_id=build.id))
    all_sites = store().sites()
    return render_template(
        "manuals/index.html",
        form=form,
        site_id=site_id,
        site_choices=[(s, all_sites[s].name if s else None) for s in sites],
        builds=_visible_builds(),
        sites=all_sites,
        kinds=TEXT,
    ), status


@bp.get("/builds/<int:build_id>/")
@requires(is_staff)
def status(build_id: int):
    return _status_page(_build_or_404(build_id))


def _status_page(build: ManualBuild, flash_error: str | None = None, code: int = 200):
    dead = jobs.is_dead(build, utcnow())
    if dead:
        jobs.mark_dead(build)  # the page stops waiting and offers a retry
    stale = (build.active and dead) or (build.status == BuildStatus.FAILED and build.error == jobs.INTERRUPTED_ERROR)
    response = current_app.make_response(
        (
            render_template(
                "manuals/build.html",
                build=build,
                stale=stale,
                sites=store().sites(),
                kinds=TEXT,
                refresh=REFRESH_SECONDS,
                modules={v.slug: v.title for v in store().modules(build.lang, build.site_id)},
                flash_error=flash_error,
            ),
            code,
        )
    )
    if build.active and not stale:
        # The page reloads itself while the build runs: a progress bar with no JavaScript.
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/builds/<int:build_id>/pdf")
@requires(is_staff)
def download(build_id: int):
    build = _build_or_404(build_id)
    if build.status != BuildStatus.DONE or not build.file_name:
        return redirect(url_for("manuals.status", build_id=build.id))
    folder = current_app.config["MANUAL_CACHE_DIR"]
    try:
        return send_from_directory(
            folder,
            build.file_name,
            mimetype="application/pdf",
            as_attachment=True,
            download_name=f"{build.options.slug}.pdf",
            max_age=0,
        )
    except NotFound:
        pass  # pruned, or replaced by a newer version of the same manual: build it (again)
    try:
        fresh = jobs.request_build(build.options, current_user)
    except jobs.BuildServiceUnavailable:
        return _status_page(build, flash_error=unavailable_message(), code=503)
    except jobs.BuildLimitReached as exc:
        return _status_page(build, flash_error=limit_message(exc), code=429)
    return redirect(url_for("manuals.status", build_id=fresh.id))


@bp.post("/builds/<int:build_id>/retry")
@requires(is_staff)
def retry(build_id: int):
    build = _build_or_404(build_id)
    try:
        jobs.retry_build(build, current_user)
    except jobs.BuildServiceUnavailable:
        return _status_page(build, flash_error=unavailable_message(), code=503)
    return redirect(url_for("manuals.status", build_id=build.id))
