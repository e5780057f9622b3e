"""Assessment pages: the cohort competency grid, the two-click assessment form, records, flags,
certificates, the public verification page, CSV exports and the audit view."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..accounts.models import Role, User
from ..audit import AuditEvent
from ..cohorts import services as cohorts
from ..cohorts.models import Cohort, Enrolment, Workshop
from ..csvutil import spreadsheet_response
from ..errors import InvalidInput, NotFoundError
from ..extensions import db, limiter
from ..i18n import format_date
from ..webforms import attach_error, roles_required
from . import auditview, certificates, export, services  # noqa: F401 - export registers its sections
from .forms import AssessmentForm, IssueForm, ReasonForm
from .levels import EVIDENCE_LETTERS, EVIDENCE_NAMES, LEVEL_DESCRIPTIONS, LEVEL_NAMES, suggest_level
from .models import Assessment, Certificate, SafetyFlag
from .pdf import certificate_pdf
from .status import GridRow, all_achieved, refresher_list, trainee_record

bp = Blueprint("assessments", __name__)
STAFF = ("admin", "coordinator", "trainer")


def store():
    return current_app.extensions["curriculum"]


def ui_lang() -> str:
    return str(get_locale() or "en")


def framework():
    return store().framework(ui_lang())


def _cohort(cohort_id: int) -> Cohort:
    try:
        return cohorts.cohort_for(current_user, cohort_id)
    except NotFoundError:
        abort(404)


def _trainee(cohort: Cohort, trainee_id: int) -> User:
    try:
        return cohorts.trainee_in(current_user, cohort, trainee_id)
    except NotFoundError:
        abort(404)


def _record_of(trainee: User):
    assessments = services.assessments_of([trainee.id])[trainee.id]
    flags = list(
        db.session.scalars(select(SafetyFlag).where(SafetyFlag.trainee_id == trainee.id).order_by(SafetyFlag.raised_at))
    )
    return assessments, flags, trainee_record(framework(), assessments, [f for f in flags if f.open])


# -- trainers --------------------------------------------------------------


@bp.get("/cohorts/<int:cohort_id>/competencies")
@roles_required(*STAFF)
def grid(cohort_id: int):
    """Trainees × competencies: latest level and flags, in a fixed number of queries."""
    cohort = _cohort(cohort_id)
    trainees = cohorts.trainees_of(cohort)
    ids = [t.id for t in trainees]
    by_trainee = services.assessments_of(ids)
    flags = services.open_flags_of(ids)
    fw = framework()
    rows = []
    for trainee in trainees:
        cells = tuple(trainee_record(fw, by_trainee[trainee.id], flags[trainee.id]))
        rows.append(GridRow(trainee, cells, sum(c.achieved for c in cells), len(flags[trainee.id])))
    return render_template(
        "assessments/grid.html",
        # Translated once here, not once per cell: a 200 × 16 grid has 3,200 cells.
        letters={kind: str(letter) for kind, letter in EVIDENCE_LETTERS.items()},
        evidence_names=EVIDENCE_NAMES,
        assess_label=_("Assess %(competency)s for %(name)s"),
        cohort=cohort,
        framework=fw,
        rows=rows,
        may_assess=services.can_assess(current_user, cohort),
    )


@bp.route("/cohorts/<int:cohort_id>/trainees/<int:trainee_id>/assess", methods=["GET", "POST"])
@roles_required(*STAFF)
def assess(cohort_id: int, trainee_id: int):
    cohort = _cohort(cohort_id)
    trainee = _trainee(cohort, trainee_id)
    if not services.can_assess(current_user, cohort):
        abort(404)
    fw = framework()
    competency = fw.get(request.values.get("competency", ""))
    if competency is None:
        return render_template("assessments/choose.html", cohort=cohort, trainee=trainee, framework=fw)
    form = AssessmentForm()
    form.evidence_kind.choices = [(k, str(EVIDENCE_NAMES[k])) for k in competency.evidence_kinds]
    form.checklist.choices = [(item.id, item.text) for item in competency.checklist]
    form.level.choices = [(str(n), str(LEVEL_NAMES[n])) for n in (0, 1, 2, 3)]
    workshops = list(
        db.session.scalars(select(Workshop).where(Workshop.cohort_id == cohort.id).order_by(Workshop.held_on.desc()))
    )
    form.workshop.choices = [("", "—")] + [(str(w.id), f"{format_date(w.held_on)} · {w.title}") for w in workshops]
    if request.method == "GET":
        form.submission_id.data = uuid.uuid4().hex
        form.observed_on.data = date.today()
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
        except NotFoundError:
            abort(404)
        else:
            db.session.commit()
            flash(
                _("Assessment saved: %(competency)s for %(name)s.", competency=competency.id, name=trainee.name), "info"
            )
            return redirect(url_for("assessments.grid", cohort_id=cohort.id) + f"#t{trainee.id}")
    _assessments, _flags, record = _record_of(trainee)
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
@roles_required(*STAFF)
def trainee_competencies(cohort_id: int, trainee_id: int):
    cohort = _cohort(cohort_id)
    trainee = _trainee(cohort, trainee_id)
    assessments, flags, record = _record_of(trainee)
    events = sorted(
        [("assessment", a.created_at, a) for a in assessments]
        + [("revocation", a.revocation.created_at, a) for a in assessments if a.revocation is not None]
        + [("flag", f.raised_at, f) for f in flags]
        + [("flag_closed", f.closed_at, f) for f in flags if f.closed_at],
        key=lambda e: e[1],
        reverse=True,
    )
    users = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_({f.closed_by_id for f in flags if f.closed_by_id})))
    }
    return render_template(
        "assessments/trainee.html",
        letters=EVIDENCE_LETTERS,
        cohort=cohort,
        trainee=trainee,
        record=record,
        events=events,
        flags=flags,
        users=users,
        level_names=LEVEL_NAMES,
        evidence_names=EVIDENCE_NAMES,
        may_assess=services.can_assess(current_user, cohort),
        may_oversee=services.may_oversee(current_user, cohort.site_id),
    )


@bp.route("/assessments/<int:assessment_id>/revoke", methods=["GET", "POST"])
@roles_required(*STAFF)
def revoke(assessment_id: int):
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        abort(404)
    cohort = _cohort(assessment.cohort_id)
    if not (current_user.id == assessment.assessor_id or services.may_oversee(current_user, assessment.site_id)):
        abort(404)
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
                url_for("assessments.trainee_competencies", cohort_id=cohort.id, trainee_id=assessment.trainee_id)
            )
    return render_template(
        "assessments/revoke.html",
        form=form,
        assessment=assessment,
        cohort=cohort,
        level_names=LEVEL_NAMES,
        evidence_names=EVIDENCE_NAMES,
    )


@bp.post("/flags/<int:flag_id>/close")
@roles_required(*STAFF)
def close_flag(flag_id: int):
    flag = db.session.get(SafetyFlag, flag_id)
    if flag is None:
        abort(404)
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput("reason", _("Write a short note on how the concern was resolved."))
        services.close_flag(current_user, flag, form.reason.data)
    except NotFoundError:
        abort(404)
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
@roles_required(*STAFF)
def cohort_csv(cohort_id: int):
    cohort = _cohort(cohort_id)
    rows = db.session.scalars(
        select(Assessment).where(Assessment.cohort_id == cohort.id).order_by(Assessment.created_at)
    ).unique()
    return _csv_response(rows, f"cohort-{cohort.id}-assessments.csv")


# -- coordinators ------------------------------------------------------------


def _site_for_overview() -> str:
    if current_user.role == Role.ADMIN:
        site_id = request.args.get("site") or next(iter(store().sites()), "")
        if site_id not in store().sites():
            abort(404)
        return site_id
    return current_user.site_id


@bp.get("/overview")
@roles_required("admin", "coordinator")
def overview():
    site_id = _site_for_overview()
    trainees = list(
        db.session.scalars(select(User).where(User.site_id == site_id, User.role == Role.TRAINEE).order_by(User.name))
    )
    ids = [t.id for t in trainees]
    by_trainee = services.assessments_of(ids)
    flags = services.open_flags_of(ids)
    fw = framework()
    certs = list(
        db.session.scalars(
            select(Certificate).where(Certificate.site_id == site_id).order_by(Certificate.issued_at.desc())
        )
    )
    holders = {c.trainee_id for c in certs if c.valid}
    ready = [t for t in trainees if t.id not in holders and all_achieved(trainee_record(fw, by_trainee[t.id], []))]
    names = {t.id: t for t in trainees}
    return render_template(
        "assessments/overview.html",
        site=store().site(site_id),
        sites=store().sites(),
        trainees=names,
        flags=[f for fl in flags.values() for f in fl],
        ready=ready,
        certificates=certs,
        refreshers=refresher_list(store(), site_id, fw, by_trainee),
        framework=fw,
        cohort_of=_first_cohorts(ids),
        issue_forms={t.id: _issue_form(t) for t in ready},
    )


def _first_cohorts(trainee_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(select(Enrolment.user_id, Enrolment.cohort_id).where(Enrolment.user_id.in_(trainee_ids)))
    result: dict[int, int] = {}
    for user_id, cohort_id in rows:
        result.setdefault(user_id, cohort_id)
    return result


def _issue_form(trainee: User) -> IssueForm:
    form = IssueForm(prefix=f"t{trainee.id}")
    form.trainer.choices = [(t.id, t.name) for t in certificates.trainers_of_trainee(trainee)]
    return form


@bp.post("/certificates/issue/<int:trainee_id>")
@roles_required("admin", "coordinator")
def issue(trainee_id: int):
    trainee = db.session.get(User, trainee_id)
    if trainee is None or trainee.site_id is None or not services.may_oversee(current_user, trainee.site_id):
        abort(404)
    form = _issue_form(trainee)
    if not form.validate_on_submit():
        flash(_("Choose one of the trainee's trainers."), "error")
        return redirect(url_for("assessments.overview", site=trainee.site_id))
    _assessments, _flags, record = _record_of(trainee)
    language = trainee.language or store().site(trainee.site_id).default_language
    try:
        certificate = certificates.issue_certificate(
            current_user, trainee, record, trainer_id=form.trainer.data, language=language
        )
    except InvalidInput as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("assessments.overview", site=trainee.site_id))
    db.session.commit()
    flash(_("Certificate %(code)s issued to %(name)s.", code=certificate.code, name=trainee.name), "info")
    return redirect(url_for("assessments.overview", site=trainee.site_id))


def _certificate(certificate_id: int) -> Certificate:
    try:
        return certificates.certificate_for(current_user, certificate_id)
    except NotFoundError:
        abort(404)


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_download(certificate_id: int):
    certificate = _certificate(certificate_id)
    if not certificate.valid and not services.may_oversee(current_user, certificate.site_id):
        abort(404)  # a revoked certificate is no longer the holder's to print
    site = store().site(certificate.site_id)
    fw = store().framework(certificate.language)
    comps = [(c, fw.get(c).title if fw.get(c) else c) for c in certificate.competencies]
    pdf = certificate_pdf(certificate, site.name_in(certificate.language) if site else certificate.site_id, comps)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="certificate-{certificate.code}.pdf"'},
    )


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
@roles_required("admin", "coordinator")
def revoke_certificate(certificate_id: int):
    certificate = _certificate(certificate_id)
    if not services.may_oversee(current_user, certificate.site_id):
        abort(404)
    form = ReasonForm()
    confirm = request.args.get("confirm") == "1"
    if form.validate_on_submit():
        try:
            if confirm:
                certificates.confirm_certificate(current_user, certificate, form.reason.data)
            else:
                certificates.revoke_certificate(current_user, certificate, form.reason.data)
        except InvalidInput as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "info")
            return redirect(url_for("assessments.overview", site=certificate.site_id))
    return render_template("assessments/certificate_revoke.html", form=form, certificate=certificate, confirm=confirm)


@bp.get("/sites/<site_id>/assessments.csv")
@roles_required("admin", "coordinator")
def site_csv(site_id: str):
    if not services.may_oversee(current_user, site_id):
        abort(404)
    rows = db.session.scalars(
        select(Assessment).where(Assessment.site_id == site_id).order_by(Assessment.created_at)
    ).unique()
    return _csv_response(rows, f"site-{site_id}-assessments.csv")


def _csv_response(rows, filename: str) -> Response:
    rows = list(rows)
    names = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({r.trainee_id for r in rows})))}
    header = [
        "assessment_id",
        "recorded_at_utc",
        "trainee",
        "trainee_login",
        "competency",
        "evidence_kind",
        "level",
        "suggested_level",
        "observed_on",
        "assessor",
        "cohort_id",
        "workshop_id",
        "language",
        "content_revision",
        "checklist",
        "note",
        "revoked_at_utc",
        "revoked_by",
        "revocation_reason",
    ]

    def line(a: Assessment) -> list:
        trainee, revocation = names.get(a.trainee_id), a.revocation
        return [
            a.id,
            a.created_at.isoformat(),
            trainee.name if trainee else "",
            trainee.login if trainee else "",
            a.competency,
            a.evidence_kind,
            a.level,
            a.suggested_level,
            a.observed_on.isoformat(),
            a.assessor.name,
            a.cohort_id,
            a.workshop_id,
            a.language,
            a.content_revision,
            " ".join(a.checklist or []),
            a.note,
            revocation.created_at.isoformat() if revocation else "",
            revocation.revoked_by.name if revocation else "",
            revocation.reason if revocation else "",
        ]

    return spreadsheet_response(header, (line(a) for a in rows), filename, ui_lang(), request.args.get("format"))


@bp.get("/audit")
@roles_required("admin", "coordinator")
def audit():
    """Assessment events with filters; coordinators see their own site only."""
    query = select(AuditEvent).where(
        AuditEvent.action.like("assessment.%")
        | AuditEvent.action.like("safety_flag.%")
        | AuditEvent.action.like("certificate.%")
    )
    sites = store().sites()
    site = request.args.get("site") or None
    if current_user.role != Role.ADMIN:
        site = current_user.site_id
    if site:
        query = query.where(AuditEvent.site_id == site)
    action = request.args.get("action") or ""
    if action:
        query = query.where(AuditEvent.action == action)
    actor = request.args.get("actor", type=int)
    if actor is not None and 0 < actor < 2**31:
        query = query.where(AuditEvent.actor_id == actor)
    for name in ("from", "to"):
        value = request.args.get(name) or ""
        try:
            day = date.fromisoformat(value) if value else None
        except ValueError:
            flash(_("Dates are written like 2026-11-27."), "error")
            day = None
        if day is not None:
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            # "to" includes the whole day it names.
            query = query.where(AuditEvent.at >= start if name == "from" else AuditEvent.at < start + timedelta(days=1))
    events = list(db.session.scalars(query.order_by(AuditEvent.at.desc()).limit(500)))
    people = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(
                User.id.in_(
                    {e.actor_id for e in events if e.actor_id}
                    | {e.details.get("trainee") for e in events if isinstance(e.details.get("trainee"), int)}
                )
            )
        )
    }
    actions = [
        "assessment.record",
        "assessment.revoke",
        "safety_flag.raise",
        "safety_flag.close",
        "certificate.issue",
        "certificate.revoke",
        "certificate.flag_review",
        "certificate.confirm",
    ]
    return render_template(
        "assessments/audit.html",
        events=events,
        people=people,
        sites=sites,
        site=site,
        action=action,
        actions=actions,
        args=request.args,
        action_name=auditview.action_name,
        detail_items=lambda details: auditview.detail_items(details, _competency_title),
    )


def _competency_title(competency_id: str) -> str:
    competency = framework().get(competency_id)
    return competency.title if competency else ""


# -- trainees and the public ---------------------------------------------------


@bp.get("/me/competencies")
@roles_required("trainee")
def my_competencies():
    _assessments, _flags, record = _record_of(current_user)
    lang = ui_lang()
    modules = {v.slug: v for v in store().modules(lang, current_user.site_id)}
    mine = list(
        db.session.scalars(
            select(Certificate).where(Certificate.trainee_id == current_user.id, Certificate.revoked_at.is_(None))
        )
    )
    return render_template(
        "assessments/mine.html",
        record=record,
        framework=framework(),
        modules=modules,
        lang=lang,
        level_names=LEVEL_NAMES,
        evidence_names=EVIDENCE_NAMES,
        certificates=mine,
    )


@bp.get("/verify")
@bp.get("/verify/<code>")
@limiter.limit("60 per minute")
def verify(code: str | None = None):
    """Public: valid or revoked, name, site, issue date. Nothing else."""
    code = code or request.args.get("code")
    certificate = certificates.by_code(code) if code else None
    site = store().site(certificate.site_id) if certificate else None
    return render_template("assessments/verify.html", code=code, certificate=certificate, site=site), (
        404 if code and certificate is None else 200
    )
