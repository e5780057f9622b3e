"""Assessment pages: the cohort competency grid, the two-click assessment form, a trainee's
record, revoking, safety flags, the site overview and CSV exports.

Certificates (and their public verification page) are in ``certificate_routes``, the audit
view in ``audit_routes``.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..cohorts import services as cohorts
from ..dates import site_today
from ..downloads import csv_download
from ..errors import InvalidInput, NotFoundError
from ..extensions import db
from ..models_base import utcnow
from ..permissions import is_overseer, is_staff, keeps_own_record, may_assess, may_oversee_site, oversees_every_site
from ..urlpattern import id_url
from ..web import store
from ..webforms import attach_error, requires
from . import queries, services
from .certificate_routes import issue_form
from .forms import AssessmentForm, ReasonForm
from .levels import EVIDENCE_LETTERS, EVIDENCE_NAMES, LEVEL_DESCRIPTIONS, LEVEL_NAMES, suggest_level

bp = Blueprint("assessments", __name__)


def ui_lang() -> str:
    return str(get_locale() or "en")


def framework():
    return store().framework(ui_lang())


# -- trainers --------------------------------------------------------------


@bp.get("/cohorts/<int:cohort_id>/competencies")
@requires(is_staff)
def grid(cohort_id: int):
    """Trainees × competencies: latest level and flags, in a fixed number of queries."""
    cohort = cohorts.cohort_for(current_user, cohort_id)
    fw = framework()
    # Translated once here, not once per cell: a 200 × 16 grid has 3,200 cells.
    letters = {kind: str(letter) for kind, letter in EVIDENCE_LETTERS.items()}
    page = queries.competency_grid(fw, cohort, letters, request.args.get("page", 1, type=int))
    return render_template(
        "assessments/grid.html",
        letters=letters,
        evidence_names=EVIDENCE_NAMES,
        assess_label=_("Assess %(competency)s for %(name)s"),
        cohort=cohort,
        framework=fw,
        rows=page.rows,
        page=page,
        may_assess=may_assess(current_user, cohort),
        # One url_for per page, not per cell.
        record_url=id_url("assessments.trainee_competencies", "trainee_id", cohort_id=cohort.id),
        assess_url=id_url("assessments.assess", "trainee_id", cohort_id=cohort.id),
        competency_query={
            c.id: url_for("assessments.assess", cohort_id=cohort.id, trainee_id=1, competency=c.id).partition("?")[2]
            for c in fw.competencies
        },
    )


@bp.route("/cohorts/<int:cohort_id>/trainees/<int:trainee_id>/assess", methods=["GET", "POST"])
@requires(is_staff)
def assess(cohort_id: int, trainee_id: int):
    cohort = cohorts.cohort_for(current_user, cohort_id)
    trainee = cohorts.trainee_in(current_user, cohort, trainee_id)
    if not may_assess(current_user, cohort, trainee):
        raise NotFoundError("only the cohort's trainers assess its trainees")
    fw = framework()
    competency = fw.get(request.values.get("competency", ""))
    if competency is None:
        return render_template("assessments/choose.html", cohort=cohort, trainee=trainee, framework=fw)
    form = AssessmentForm()
    form.evidence_kind.choices = [(k, str(EVIDENCE_NAMES[k])) for k in competency.evidence_kinds]
    form.checklist.choices = [(item.id, item.text) for item in competency.checklist]
    form.level.choices = [(str(n), str(LEVEL_NAMES[n])) for n in (0, 1, 2, 3)]
    form.workshop.choices = [("", "—")] + [
        (str(w.id), f"{w.held_on.isoformat()} · {w.title}") for w in queries.workshops_newest_first(cohort)
    ]
    if request.method == "GET":
        form.submission_id.data = uuid.uuid4().hex
        site = store().site(cohort.site_id)
        form.observed_on.data = site_today(site.timezone if site else None, utcnow())
        if len(competency.evidence_kinds) == 1:
            form.evidence_kind.data = competency.evidence_kinds[0]
    suggested = suggest_level(competency, form.checklist.data or []) if request.method == "POST" else None
    if request.method == "POST" and request.form.get("action") == "suggest":
        if suggested is not None:
            form.level.data = str(suggested)
    elif form.validate_on_submit():
        try:
            level = int(form.level.data) if form.level.data not in (None, "", "None") else None
            services.record_assessment(
                current_user,
                store(),
                cohort=cohort,
                trainee=trainee,
                competency_id=competency.id,
                evidence_kind=form.evidence_kind.data,
                level=level,
                observed_on=form.observed_on.data,
                note=form.note.data or "",
                checklist=form.checklist.data or [],
                suggested_level=suggested,
                workshop_id=int(form.workshop.data) if form.workshop.data else None,
                submission_id=form.submission_id.data or "",
            )
        except InvalidInput as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(
                _("Assessment saved: %(competency)s for %(name)s.", competency=competency.id, name=trainee.name), "info"
            )
            return redirect(url_for("assessments.grid", cohort_id=cohort.id) + f"#t{trainee.id}")
    record = queries.record_of(fw, trainee).record
    status = next(s for s in record if s.competency.id == competency.id)
    return render_template(
        "assessments/form.html",
        cohort=cohort,
        trainee=trainee,
        competency=competency,
        form=form,
        suggested=suggested,
        status=status,
        level_descriptions=LEVEL_DESCRIPTIONS,
        level_names=LEVEL_NAMES,
        evidence_names=EVIDENCE_NAMES,
    )


@bp.get("/cohorts/<int:cohort_id>/trainees/<int:trainee_id>/competencies")
@requires(is_staff)
def trainee_competencies(cohort_id: int, trainee_id: int):
    cohort = cohorts.cohort_for(current_user, cohort_id)
    trainee = cohorts.trainee_in(current_user, cohort, trainee_id)
    found = queries.record_of(framework(), trainee)
    events, users = queries.trainee_history(found)
    return render_template(
        "assessments/trainee.html",
        letters=EVIDENCE_LETTERS,
        cohort=cohort,
        trainee=trainee,
        record=found.record,
        events=events,
        flags=found.flags,
        users=users,
        level_names=LEVEL_NAMES,
        evidence_names=EVIDENCE_NAMES,
        may_assess=may_assess(current_user, cohort, trainee),
    )


@bp.route("/assessments/<int:assessment_id>/revoke", methods=["GET", "POST"])
@requires(is_staff)
def revoke(assessment_id: int):
    assessment = services.revocable_assessment(current_user, assessment_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.revoke_assessment(current_user, assessment, form.reason.data)
        except InvalidInput as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("The assessment is revoked. It stays in the history with your reason."), "info")
            return redirect(
                url_for(
                    "assessments.trainee_competencies",
                    cohort_id=assessment.cohort_id,
                    trainee_id=assessment.trainee_id,
                )
            )
    return render_template(
        "assessments/revoke.html",
        form=form,
        assessment=assessment,
        cohort=cohorts.cohort_for(current_user, assessment.cohort_id),
        level_names=LEVEL_NAMES,
        evidence_names=EVIDENCE_NAMES,
    )


@bp.post("/flags/<int:flag_id>/close")
@requires(is_staff)
def close_flag(flag_id: int):
    flag = services.safety_flag(current_user, flag_id)
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput("reason", _("Write a short note on how the concern was resolved."))
        services.close_flag(current_user, flag, form.reason.data)
    except InvalidInput as exc:
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("The safety flag is closed."), "info")
    return redirect(
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("assessments.overview")
    )


@bp.get("/cohorts/<int:cohort_id>/assessments.csv")
@requires(is_staff)
def cohort_csv(cohort_id: int):
    cohort = cohorts.cohort_for(current_user, cohort_id)
    return csv_download(queries.cohort_assessments_csv(cohort), f"cohort-{cohort.id}-assessments.csv")


# -- coordinators ------------------------------------------------------------


def _site_for_overview() -> str:
    if oversees_every_site(current_user):
        site_id = request.args.get("site") or next(iter(store().sites()), "")
        if site_id not in store().sites():
            raise NotFoundError("no such site")
        return site_id
    return current_user.site_id


@bp.get("/overview")
@requires(is_overseer)
def overview():
    site_id = _site_for_overview()
    fw = framework()
    found = queries.site_overview(store(), fw, site_id)
    return render_template(
        "assessments/overview.html",
        site=store().site(site_id),
        sites=store().sites(),
        trainees=found.trainees,
        flags=found.flags,
        ready=found.ready,
        certificates=found.certificates,
        refreshers=found.refreshers,
        framework=fw,
        cohort_of=found.cohort_of,
        issue_forms={t.id: issue_form(t) for t in found.ready},
    )


@bp.get("/sites/<site_id>/assessments.csv")
@requires(is_overseer)
def site_csv(site_id: str):
    # Only known sites: the id goes into the file name of the download.
    if site_id not in store().sites() or not may_oversee_site(current_user, site_id):
        raise NotFoundError("no such site")
    return csv_download(queries.site_assessments_csv(site_id), f"site-{site_id}-assessments.csv")


# -- trainees ----------------------------------------------------------------


@bp.get("/me/competencies")
@requires(keeps_own_record)
def my_competencies():
    lang = ui_lang()
    return render_template(
        "assessments/mine.html",
        record=queries.record_of(framework(), current_user).record,
        framework=framework(),
        modules={v.slug: v for v in store().modules(lang, current_user.site_id)},
        lang=lang,
        level_names=LEVEL_NAMES,
        evidence_names=EVIDENCE_NAMES,
        certificates=queries.valid_certificates_of(current_user),
    )
