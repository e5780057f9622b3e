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
REFRESH_SECONDS = 2


def _chosen_site(sites: list[str | None]) -> str | None:
    wanted = request.values.get("site") or None
    if wanted in sites:
        return wanted
    if not oversees_every_site(current_user):
        return sites[0] if sites else None
    return None if None in sites else sites[0]


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
            except jobs.BuildLimitReached as exc:
                form.form_errors.append(
                    _("You have manuals being built already. Wait until one is ready, then ask for the next.")
                    if exc.mine
                    else _("Many manuals are being built right now. Please try again in a few minutes.")
                )
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
    )


@bp.get("/builds/<int:build_id>/")
@requires(is_staff)
def status(build_id: int):
    build = _build_or_404(build_id)
    stale = jobs.is_stale(build, utcnow(), jobs.stale_seconds())
    response = current_app.make_response(
        render_template(
            "manuals/build.html",
            build=build,
            stale=stale,
            sites=store().sites(),
            kinds=TEXT,
            refresh=REFRESH_SECONDS,
            modules={v.slug: v.title for v in store().modules(build.lang, build.site_id)},
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
    fresh = jobs.request_build(build.options, current_user)
    return redirect(url_for("manuals.status", build_id=fresh.id))


@bp.post("/builds/<int:build_id>/retry")
@requires(is_staff)
def retry(build_id: int):
    build = _build_or_404(build_id)
    jobs.retry_build(build, current_user)
    return redirect(url_for("manuals.status", build_id=build.id))
