"""Trainers' and coordinators' cohort pages, and joining a cohort with its code."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select

from ..accounts.forms import JoinForm, JoinNewForm
from ..accounts.models import Role, TokenPurpose, User
from ..accounts.services import create_user, issue_token
from ..csvutil import spreadsheet_response
from ..errors import InvalidInput, NotFoundError
from ..extensions import db, limiter
from ..learning import reflections
from ..learning.progress import curriculum_progress, done_for
from ..webforms import attach_error, link_page, roles_required
from . import services
from .dashboard import SORTS, cohort_grid, grid_table
from .forms import CohortForm, EnrolForm, NewTraineeForm
from .models import Cohort

bp = Blueprint("cohorts", __name__)
STAFF = ("admin", "coordinator", "trainer")


def store():
    return current_app.extensions["curriculum"]


def _cohort(cohort_id: int, manage: bool = False) -> Cohort:
    try:
        return services.cohort_for(current_user, cohort_id, manage=manage)
    except NotFoundError:
        abort(404)


def _site_choices() -> list[tuple[str, str]]:
    sites = store().sites()
    if current_user.role == Role.ADMIN:
        return [(s.id, s.name) for s in sites.values()]
    site = sites.get(current_user.site_id)
    return [(site.id, site.name)] if site else []


def _languages(site_id: str) -> tuple[str, ...]:
    site = store().site(site_id)
    return site.languages if site else store().meta().languages


@bp.get("/cohorts/")
@roles_required(*STAFF)
def index():
    cohorts = list(db.session.scalars(services.visible_cohorts_query(current_user)))
    return render_template("cohorts/index.html", cohorts=cohorts, sites=store().sites())


@bp.get("/cohorts/<int:cohort_id>/")
@roles_required(*STAFF)
def dashboard(cohort_id: int):
    cohort = _cohort(cohort_id)
    sort = request.args.get("sort", "name")
    descending = request.args.get("dir") == "desc"
    views, rows = cohort_grid(store(), cohort, sort, descending)
    return render_template(
        "cohorts/dashboard.html",
        cohort=cohort,
        views=views,
        rows=rows,
        sort=sort,
        descending=descending,
        sorts=SORTS,
        site=store().site(cohort.site_id),
        may_manage=services.can_manage(current_user, cohort),
    )


@bp.get("/cohorts/<int:cohort_id>/progress.csv")
@roles_required(*STAFF)
def progress_csv(cohort_id: int):
    cohort = _cohort(cohort_id)
    views, rows = cohort_grid(store(), cohort)
    header, lines = grid_table(views, rows)
    lang = str(get_locale() or "en")
    return spreadsheet_response(header, lines, f"cohort-{cohort.id}-progress.csv", lang, request.args.get("format"))


@bp.get("/cohorts/<int:cohort_id>/trainees/<int:trainee_id>/")
@roles_required(*STAFF)
def trainee(cohort_id: int, trainee_id: int):
    cohort = _cohort(cohort_id)
    try:
        person = services.trainee_in(current_user, cohort, trainee_id)
    except NotFoundError:
        abort(404)
    views = store().modules(cohort.language, cohort.site_id)
    rows, overall = curriculum_progress(views, done_for(person))
    titles = {v.slug: v.title for v in views}
    shared = reflections.shared_with(current_user, person)
    # A shared reflection names its prompt by id; the trainer reads the question itself.
    questions = {(v.slug, pid): text for v in views for pid, text in reflections.prompts_of(v)}
    return render_template(
        "cohorts/trainee.html",
        questions=questions,
        cohort=cohort,
        person=person,
        rows=rows,
        overall=overall,
        titles=titles,
        views={v.slug: v for v in views},
        shared=shared,
    )


@bp.post("/cohorts/<int:cohort_id>/trainees/<int:trainee_id>/remove")
@roles_required(*STAFF)
def remove_trainee(cohort_id: int, trainee_id: int):
    cohort = _cohort(cohort_id)
    try:
        person = services.trainee_in(current_user, cohort, trainee_id)
    except NotFoundError:
        abort(404)
    services.unenrol(current_user, cohort, person)
    db.session.commit()
    flash(_("%(name)s is no longer in this cohort. Their own records are kept.", name=person.name), "info")
    return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/trainees/<int:trainee_id>/link")
@roles_required(*STAFF)
def trainee_link(cohort_id: int, trainee_id: int):
    """A new one-time sign-in link for a trainee who forgot their password."""
    cohort = _cohort(cohort_id)
    try:
        person = services.trainee_in(current_user, cohort, trainee_id)
        secret = issue_token(current_user, person, TokenPurpose.RESET)
    except NotFoundError:
        abort(404)
    db.session.commit()
    return link_page(
        person,
        secret,
        "reset",
        url_for("cohorts.dashboard", cohort_id=cohort.id),
    )


@bp.route("/cohorts/<int:cohort_id>/trainees/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_trainee(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = NewTraineeForm()
    enrol_form = EnrolForm(prefix="enrol")
    enrol_form.trainee.choices = []
    if services.can_manage(current_user, cohort):  # only coordinators see the site's other trainees
        in_cohort = {t.id for t in services.trainees_of(cohort)}
        others = db.session.scalars(
            select(User)
            .where(User.site_id == cohort.site_id, User.role == Role.TRAINEE, User.active)
            .order_by(User.name)
        )
        enrol_form.trainee.choices = [(u.id, f"{u.name} ({u.login})") for u in others if u.id not in in_cohort]
    if form.validate_on_submit():
        try:
            person, secret = services.add_trainee(
                current_user, cohort, name=form.name.data, email=form.email.data, login=form.login.data
            )
        except InvalidInput as exc:
            attach_error(form, exc)
        except NotFoundError:
            abort(404)
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
@roles_required("admin", "coordinator")
def enrol_existing(cohort_id: int):
    """Existing accounts are enrolled by coordinators only: a trainer could otherwise pull a
    trainee of another cohort into theirs and read what was shared with other trainers."""
    cohort = _cohort(cohort_id, manage=True)
    form = EnrolForm(prefix="enrol")
    form.trainee.choices = [(form.trainee.data, "")] if form.trainee.data else []
    person = db.session.get(User, form.trainee.data) if form.validate_on_submit() else None
    if person is None:
        abort(404)
    try:
        services.enrol(current_user, cohort, person)
    except (InvalidInput, NotFoundError):
        abort(404)
    db.session.commit()
    flash(_("%(name)s is now in this cohort.", name=person.name), "info")
    return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/code")
@roles_required(*STAFF)
def new_code(cohort_id: int):
    cohort = _cohort(cohort_id)
    services.regenerate_code(current_user, cohort)
    db.session.commit()
    flash(_("The cohort has a new join code. The old one no longer works."), "info")
    return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))


def _cohort_form(form: CohortForm, site_id: str) -> None:
    languages = _languages(site_id)
    form.language.choices = [(code, code) for code in languages]
    from ..i18n import language_name

    form.language.choices = [(code, language_name(code)) for code in languages]
    form.trainers.choices = [(u.id, u.name) for u in services.site_staff(site_id)]


@bp.route("/cohorts/new", methods=["GET", "POST"])
@roles_required("admin", "coordinator")
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
@roles_required("admin", "coordinator")
def edit_cohort(cohort_id: int):
    cohort = _cohort(cohort_id, manage=True)
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
@limiter.limit("20 per hour", methods=["POST"])
def join():
    """Join a cohort with its code: signed-in trainees just enter it; newcomers also make an account."""
    signed_in = current_user.is_authenticated
    if signed_in and current_user.role != Role.TRAINEE:
        abort(404)
    form = JoinForm() if signed_in else JoinNewForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"]
    if form.validate_on_submit():
        try:
            if signed_in:
                cohort = services.join_with_code(current_user, form.code.data)
            else:
                cohort = services.cohort_by_code(form.code.data)
                if cohort is None:
                    raise InvalidInput("code", _("No open cohort has this code. Check it with your trainer."))
                login = form.login.data.strip().lower()
                person, _secret = create_user(
                    None,
                    name=form.name.data,
                    role=Role.TRAINEE,
                    site_id=cohort.site_id,
                    login=login,
                    email=login if "@" in login else None,
                    language=cohort.language,
                    password=form.password.data,
                    via="code",
                )
                services.enrol(None, cohort, person)
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
@roles_required(*STAFF)
def workshops(cohort_id: int):
    from . import workshops as ws
    from .forms import WorkshopForm

    cohort = _cohort(cohort_id)
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
@roles_required(*STAFF)
def attendance(cohort_id: int, workshop_id: int):
    from . import workshops as ws

    cohort = _cohort(cohort_id)
    try:
        workshop = ws.workshop_for(current_user, cohort, workshop_id)
    except NotFoundError:
        abort(404)
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


@bp.get("/translations")
@roles_required("admin", "coordinator", "trainer")
def translation_status():
    """Modules × languages: which translations are current, outdated or missing (as `flask curriculum status`)."""
    from ..curriculum import status
    from ..i18n import language_name

    meta = store().meta()
    rows = status(store())
    titles = {v.slug: v.title for v in store().modules(meta.source_language)}
    return render_template(
        "cohorts/translations.html", rows=rows, langs=meta.languages, titles=titles, language_name=language_name
    )


@bp.get("/cohorts/<int:cohort_id>/workshops/<int:workshop_id>/register.pdf")
@roles_required(*STAFF)
def attendance_register(cohort_id: int, workshop_id: int):
    """A printable attendance register in the cohort's language, pre-filled with its trainees."""
    from flask_babel import force_locale
    from markupsafe import Markup

    from ..curriculum import direction
    from ..i18n import format_date
    from ..printing import css_string, self_contained_pdf
    from . import workshops as ws

    cohort = _cohort(cohort_id)
    try:
        workshop = ws.workshop_for(current_user, cohort, workshop_id)
    except NotFoundError:
        abort(404)
    site = store().site(cohort.site_id)
    titles = {v.slug: v.title for v in store().modules(cohort.language, cohort.site_id)}
    with force_locale(cohort.language):
        html = render_template(
            "print/attendance.html",
            cohort=cohort,
            workshop=workshop,
            trainees=services.trainees_of(cohort),
            present=ws.present_ids(workshop),
            site_name=site.name_in(cohort.language) if site else cohort.site_id,
            modules=[titles.get(m, m) for m in workshop.modules],
            footer=Markup(css_string(f"{cohort.name} · {format_date(workshop.held_on)}")),  # noqa: S704 - escaped for CSS
            lang=cohort.language,
            dir=direction(cohort.language),
        )
    return Response(
        self_contained_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="attendance-{workshop.id}.pdf"'},
    )
