"""Trainers' and coordinators' cohort pages, and joining a cohort with its code."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..accounts.forms import JoinForm, JoinNewForm
from ..accounts.models import TokenPurpose, User
from ..accounts.services import issue_token
from ..downloads import csv_download
from ..errors import InvalidInput, NotFoundError
from ..extensions import db, limiter
from ..i18n import language_name
from ..learning import reflections
from ..learning.progress import curriculum_progress, done_for
from ..permissions import is_overseer, is_staff, keeps_own_record, may_create_cohort, may_join_cohort, may_manage_cohort
from ..urlpattern import id_url
from ..web import store
from ..webforms import attach_error, link_page, requires
from . import services
from . import workshops as ws
from .dashboard import SORTS, cohort_grid, grid_csv, grid_labels, page_of
from .forms import CohortForm, EnrolForm, NewTraineeForm, WorkshopForm

bp = Blueprint("cohorts", __name__)


def _site_choices() -> list[tuple[str, str]]:
    return [(s.id, s.name) for s in store().sites().values() if may_create_cohort(current_user, s.id)]


def _languages(site_id: str) -> tuple[str, ...]:
    site = store().site(site_id)
    return site.languages if site else store().meta().languages


@bp.get("/cohorts/")
@requires(is_staff)
def index():
    cohorts = services.visible_cohorts(current_user)
    return render_template("cohorts/index.html", cohorts=cohorts, sites=store().sites())


@bp.get("/cohorts/<int:cohort_id>/")
@requires(is_staff)
def dashboard(cohort_id: int):
    cohort = services.cohort_for(current_user, cohort_id)
    sort = request.args.get("sort", "name")
    descending = request.args.get("dir") == "desc"
    views, rows = cohort_grid(store(), cohort, sort, descending)
    page = page_of(rows, request.args.get("page", 1, type=int))
    percent_text, activity_text = grid_labels(page.rows)
    return render_template(
        "cohorts/dashboard.html",
        cohort=cohort,
        views=views,
        rows=page.rows,
        page=page,
        percent_text=percent_text,
        activity_text=activity_text,
        trainee_url=id_url("cohorts.trainee", "trainee_id", cohort_id=cohort.id),
        sort=sort,
        descending=descending,
        sorts=SORTS,
        site=store().site(cohort.site_id),
    )


@bp.get("/cohorts/<int:cohort_id>/progress.csv")
@requires(is_staff)
def progress_csv(cohort_id: int):
    cohort = services.cohort_for(current_user, cohort_id)
    views, rows = cohort_grid(store(), cohort)
    return csv_download(grid_csv(views, rows), f"cohort-{cohort.id}-progress.csv")


@bp.get("/cohorts/<int:cohort_id>/trainees/<int:trainee_id>/")
@requires(is_staff)
def trainee(cohort_id: int, trainee_id: int):
    cohort = services.cohort_for(current_user, cohort_id)
    person = services.trainee_in(current_user, cohort, trainee_id)
    views = store().modules(cohort.language, cohort.site_id)
    rows, overall = curriculum_progress(views, done_for(person))
    titles = {v.slug: v.title for v in views}
    shared = reflections.shared_with(current_user, person)
    return render_template(
        "cohorts/trainee.html",
        cohort=cohort,
        person=person,
        rows=rows,
        overall=overall,
        titles=titles,
        views={v.slug: v for v in views},
        shared=shared,
    )


@bp.post("/cohorts/<int:cohort_id>/trainees/<int:trainee_id>/remove")
@requires(is_staff)
def remove_trainee(cohort_id: int, trainee_id: int):
    cohort = services.cohort_for(current_user, cohort_id)
    person = services.trainee_in(current_user, cohort, trainee_id)
    services.unenrol(current_user, cohort, person)
    db.session.commit()
    flash(_("%(name)s is no longer in this cohort. Their own records are kept.", name=person.name), "info")
    return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/trainees/<int:trainee_id>/link")
@requires(is_staff)
def trainee_link(cohort_id: int, trainee_id: int):
    """A new one-time sign-in link for a trainee who forgot their password."""
    cohort = services.cohort_for(current_user, cohort_id)
    person = services.trainee_in(current_user, cohort, trainee_id)
    secret = issue_token(current_user, person, TokenPurpose.RESET)
    db.session.commit()
    return link_page(
        person,
        secret,
        "reset",
        url_for("cohorts.dashboard", cohort_id=cohort.id),
    )


@bp.route("/cohorts/<int:cohort_id>/trainees/new", methods=["GET", "POST"])
@requires(is_staff)
def new_trainee(cohort_id: int):
    cohort = services.cohort_for(current_user, cohort_id)
    form = NewTraineeForm()
    enrol_form = EnrolForm(prefix="enrol")
    enrol_form.trainee.choices = []
    if may_manage_cohort(current_user, cohort):  # only coordinators see the site's other trainees
        others = services.enrollable_trainees(cohort)
        enrol_form.trainee.choices = [(u.id, f"{u.name} ({u.login})") for u in others]
    if form.validate_on_submit():
        try:
            person, secret = services.add_trainee(
                current_user, cohort, name=form.name.data, email=form.email.data, login=form.login.data
            )
        except InvalidInput as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            return link_page(
                person,
                secret,
                "invite",
                url_for("cohorts.dashboard", cohort_id=cohort.id),
            )
    return render_template("cohorts/new_trainee.html", cohort=cohort, form=form, enrol_form=enrol_form)


@bp.post("/cohorts/<int:cohort_id>/enrol")
@requires(is_overseer)
def enrol_existing(cohort_id: int):
    """Existing accounts are enrolled by coordinators only: a trainer could otherwise pull a
    trainee of another cohort into theirs and read what was shared with other trainers."""
    cohort = services.cohort_for(current_user, cohort_id, manage=True)
    form = EnrolForm(prefix="enrol")
    form.trainee.choices = [(form.trainee.data, "")] if form.trainee.data else []
    person = db.session.get(User, form.trainee.data) if form.validate_on_submit() else None
    if person is None:
        abort(404)
    try:
        services.enrol(current_user, cohort, person)
    except InvalidInput:
        raise NotFoundError("not a trainee of this site") from None  # looks like a missing account
    db.session.commit()
    flash(_("%(name)s is now in this cohort.", name=person.name), "info")
    return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/code")
@requires(is_staff)
def new_code(cohort_id: int):
    cohort = services.cohort_for(current_user, cohort_id)
    services.regenerate_code(current_user, cohort)
    db.session.commit()
    flash(_("The cohort has a new join code. The old one no longer works."), "info")
    return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))


def _cohort_form(form: CohortForm, site_id: str) -> None:
    languages = _languages(site_id)
    form.language.choices = [(code, language_name(code)) for code in languages]
    form.trainers.choices = [(u.id, u.name) for u in services.site_staff(site_id)]


@bp.route("/cohorts/new", methods=["GET", "POST"])
@requires(is_overseer)
def new_cohort():
    site_choices = _site_choices()
    site_id = request.values.get("site") or (current_user.site_id or (site_choices[0][0] if site_choices else ""))
    if site_id not in dict(site_choices):
        abort(404)
    form = CohortForm()
    _cohort_form(form, site_id)
    if form.validate_on_submit():
        try:
            cohort = services.create_cohort(
                current_user,
                site_id=site_id,
                name=form.name.data,
                language=form.language.data,
                languages=_languages(site_id),
                start_date=form.start_date.data,
                end_date=form.end_date.data,
                trainer_ids=form.trainers.data,
            )
        except InvalidInput as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Cohort created."), "info")
            return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return render_template("cohorts/edit.html", form=form, cohort=None, site_id=site_id, site_choices=site_choices)


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@requires(is_overseer)
def edit_cohort(cohort_id: int):
    cohort = services.cohort_for(current_user, cohort_id, manage=True)
    form = CohortForm(obj=cohort) if request.method == "GET" else CohortForm()
    _cohort_form(form, cohort.site_id)
    if request.method == "GET":
        form.trainers.data = [t.id for t in cohort.trainers]
    if form.validate_on_submit():
        try:
            services.update_cohort(
                current_user,
                cohort,
                name=form.name.data,
                language=form.language.data,
                languages=_languages(cohort.site_id),
                start_date=form.start_date.data,
                end_date=form.end_date.data,
                trainer_ids=form.trainers.data,
                archived=form.archived.data,
            )
        except InvalidInput as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "info")
            return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return render_template("cohorts/edit.html", form=form, cohort=cohort, site_id=cohort.site_id, site_choices=[])


@bp.route("/join", methods=["GET", "POST"])
# A whole class joins from one address: count wrong codes and refused forms, not joins.
@limiter.limit("20 per hour", methods=["POST"], deduct_when=lambda response: response.status_code != 302)
@limiter.limit("300 per hour", methods=["POST"])
def join():
    """Join a cohort with its code: signed-in trainees just enter it; newcomers also make an account."""
    if not may_join_cohort(current_user):
        abort(404)
    signed_in = keeps_own_record(current_user)
    form = JoinForm() if signed_in else JoinNewForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"]
    if form.validate_on_submit():
        try:
            if signed_in:
                cohort = services.join_with_code(current_user, form.code.data)
            else:
                person, cohort = services.join_as_newcomer(
                    form.code.data, name=form.name.data, login=form.login.data, password=form.password.data
                )
        except InvalidInput as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            if not signed_in:
                login_user(person)
            flash(_("Welcome to %(cohort)s.", cohort=cohort.name), "info")
            return redirect(url_for("learning.index", lang=cohort.language))
    return render_template("cohorts/join.html", form=form, signed_in=signed_in)


@bp.route("/cohorts/<int:cohort_id>/workshops", methods=["GET", "POST"])
@requires(is_staff)
def workshops(cohort_id: int):
    cohort = services.cohort_for(current_user, cohort_id)
    form = WorkshopForm()
    views = store().modules(cohort.language, cohort.site_id)
    form.modules.choices = [(v.slug, v.title) for v in views]
    if form.validate_on_submit():
        try:
            ws.add_workshop(
                current_user,
                store(),
                cohort,
                title=form.title.data,
                held_on=form.held_on.data,
                place=form.place.data,
                modules=form.modules.data or [],
            )
        except InvalidInput as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Workshop added."), "info")
            return redirect(url_for("cohorts.workshops", cohort_id=cohort.id))
    items = ws.workshops_of(cohort)
    titles = {v.slug: v.title for v in views}
    return render_template("cohorts/workshops.html", cohort=cohort, form=form, workshops=items, titles=titles)


@bp.route("/cohorts/<int:cohort_id>/workshops/<int:workshop_id>/attendance", methods=["GET", "POST"])
@requires(is_staff)
def attendance(cohort_id: int, workshop_id: int):
    cohort = services.cohort_for(current_user, cohort_id)
    workshop = ws.workshop_for(current_user, cohort, workshop_id)
    trainees = services.trainees_of(cohort)
    if request.method == "POST":
        try:
            present = set(request.form.getlist("present", type=int))
            ws.set_attendance(current_user, cohort, workshop, present)
        except InvalidInput as exc:
            flash(str(exc.message), "error")
        else:
            db.session.commit()
            flash(_("Attendance saved."), "info")
            return redirect(url_for("cohorts.workshops", cohort_id=cohort.id))
    return render_template(
        "cohorts/attendance.html", cohort=cohort, workshop=workshop, trainees=trainees, present=ws.present_ids(workshop)
    )
