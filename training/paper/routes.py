"""Paper loop pages: printable registers and sign-off sheets, CSV templates, and uploading what
was filled in (dry run first)."""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ..assessments.levels import EVIDENCE_NAMES, LEVEL_NAMES
from ..cohorts import services as cohorts
from ..cohorts import workshops as ws
from ..csvutil import spreadsheet_response
from ..curriculum import direction
from ..downloads import pdf_download
from ..errors import NotFoundError
from ..extensions import db
from ..i18n import format_date
from ..permissions import is_staff, may_assess
from ..printing import css_string, self_contained_pdf
from ..web import store
from ..webforms import requires
from .imports import ASSESSMENT_COLUMNS, import_assessments, import_attendance

bp = Blueprint("paper", __name__)


def _uploaded() -> bytes | None:
    """The CSV: a new upload, or the checked file sent back with the confirm button."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        try:
            return upload.read()
        finally:
            upload.close()  # large uploads are spooled to a temporary file
    payload = request.form.get("payload", "")
    if payload:
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


def _competencies(cohort, competency_id: str | None):
    framework = store().framework(cohort.language)
    if competency_id:
        competency = framework.get(competency_id)
        if competency is None:
            abort(404)
        return [competency]
    return list(framework.competencies)


@bp.get("/cohorts/<int:cohort_id>/signoff.csv")
@requires(is_staff)
def signoff_template(cohort_id: int):
    """A CSV to type the paper sign-off sheet into: one line per trainee, competency and evidence kind."""
    cohort = cohorts.cohort_for(current_user, cohort_id)
    trainees = cohorts.trainees_of(cohort)  # once, not once per competency
    rows = [
        [t.login, t.name, c.id, kind, "", "", ""]
        for c in _competencies(cohort, request.args.get("competency"))
        for t in trainees
        for kind in c.evidence_kinds
    ]
    header = ["login", "name", "competency", "evidence_kind", "level", "observed_on", "note"]
    lang = str(get_locale() or "en")
    return spreadsheet_response(header, rows, f"signoff-cohort-{cohort.id}.csv", lang, request.args.get("format"))


@bp.get("/cohorts/<int:cohort_id>/signoff.pdf")
@requires(is_staff)
def signoff_sheet(cohort_id: int):
    """Printable sign-off sheets (one page per competency), in the cohort's language."""
    cohort = cohorts.cohort_for(current_user, cohort_id)
    site = store().site(cohort.site_id)
    with force_locale(cohort.language):
        html = render_template(
            "print/signoff.html",
            cohort=cohort,
            competencies=_competencies(cohort, request.args.get("competency")),
            trainees=cohorts.trainees_of(cohort),
            site_name=site.name_in(cohort.language) if site else cohort.site_id,
            evidence_names=EVIDENCE_NAMES,
            level_names=LEVEL_NAMES,
            lang=cohort.language,
            dir=direction(cohort.language),
        )
    return pdf_download(self_contained_pdf(html), f"signoff-cohort-{cohort.id}.pdf")


@bp.route("/cohorts/<int:cohort_id>/import/assessments", methods=["GET", "POST"])
@requires(is_staff)
def assessments_import(cohort_id: int):
    cohort = cohorts.cohort_for(current_user, cohort_id)
    if not may_assess(current_user, cohort):
        raise NotFoundError("only the cohort's trainers import assessments")
    result, data = None, None
    if request.method == "POST":
        data = _uploaded()
        if not data:
            flash(_("Choose a CSV file."), "error")
        else:
            apply = request.form.get("action") == "import"
            result = import_assessments(current_user, store(), cohort, data, apply=apply)
            if apply and not result.problems and (result.imported or result.already):
                db.session.commit()
                if result.imported:
                    flash(_("%(n)s assessments imported.", n=result.imported), "info")
                else:
                    flash(_("Every line of this file was imported already; nothing was added."), "info")
                return redirect(url_for("assessments.grid", cohort_id=cohort.id))
            db.session.rollback()
    return render_template(
        "paper/import.html",
        cohort=cohort,
        result=result,
        kind="assessments",
        payload=base64.b64encode(data).decode() if data and result and result.ok else "",
        columns=ASSESSMENT_COLUMNS,
        level_names=LEVEL_NAMES,
        evidence_names=EVIDENCE_NAMES,
    )


@bp.get("/cohorts/<int:cohort_id>/workshops/<int:workshop_id>/register.csv")
@requires(is_staff)
def register_template(cohort_id: int, workshop_id: int):
    cohort = cohorts.cohort_for(current_user, cohort_id)
    workshop = ws.workshop_for(current_user, cohort, workshop_id)
    present = ws.present_ids(workshop)
    rows = [[t.login, t.name, "1" if t.id in present else ""] for t in cohorts.trainees_of(cohort)]
    lang = str(get_locale() or "en")
    header = ["login", "name", "present"]
    return spreadsheet_response(header, rows, f"attendance-{workshop.id}.csv", lang, request.args.get("format"))


@bp.get("/cohorts/<int:cohort_id>/workshops/<int:workshop_id>/register.pdf")
@requires(is_staff)
def attendance_register(cohort_id: int, workshop_id: int):
    """A printable attendance register in the cohort's language, pre-filled with its trainees."""
    cohort = cohorts.cohort_for(current_user, cohort_id)
    workshop = ws.workshop_for(current_user, cohort, workshop_id)
    site = store().site(cohort.site_id)
    titles = {v.slug: v.title for v in store().modules(cohort.language, cohort.site_id)}
    with force_locale(cohort.language):
        html = render_template(
            "print/attendance.html",
            cohort=cohort,
            workshop=workshop,
            trainees=cohorts.trainees_of(cohort),
            present=ws.present_ids(workshop),
            site_name=site.name_in(cohort.language) if site else cohort.site_id,
            modules=[titles.get(m, m) for m in workshop.modules],
            footer=Markup(css_string(f"{cohort.name} · {format_date(workshop.held_on)}")),  # noqa: S704 - escaped for CSS
            lang=cohort.language,
            dir=direction(cohort.language),
        )
    return pdf_download(self_contained_pdf(html), f"attendance-{workshop.id}.pdf")


@bp.route("/cohorts/<int:cohort_id>/workshops/<int:workshop_id>/import", methods=["GET", "POST"])
@requires(is_staff)
def attendance_import(cohort_id: int, workshop_id: int):
    cohort = cohorts.cohort_for(current_user, cohort_id)
    workshop = ws.workshop_for(current_user, cohort, workshop_id)
    result, data = None, None
    if request.method == "POST":
        data = _uploaded()
        if not data:
            flash(_("Choose a CSV file."), "error")
        else:
            apply = request.form.get("action") == "import"
            result = import_attendance(current_user, cohort, workshop, data, apply=apply)
            if apply and result.ok:
                db.session.commit()
                flash(_("Attendance saved."), "info")
                return redirect(url_for("cohorts.workshops", cohort_id=cohort.id))
            db.session.rollback()
    return render_template(
        "paper/import.html",
        cohort=cohort,
        workshop=workshop,
        result=result,
        kind="attendance",
        payload=base64.b64encode(data).decode() if data and result and result.ok else "",
        columns=("login", "present"),
        level_names=LEVEL_NAMES,
        evidence_names=EVIDENCE_NAMES,
    )
