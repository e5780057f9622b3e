"""Report pages: the cohort competency matrix (screen, PDF, CSV, .xlsx) and the programme report
(screen, PDF, .xlsx); each format of a report reads the same query result."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..assessments.levels import EVIDENCE_NAMES, LEVEL_NAMES
from ..curriculum import direction
from ..downloads import csv_download, download, pdf_download
from ..permissions import is_staff, may_see_programme_report
from ..printing import self_contained_pdf
from ..web import store
from ..webforms import requires
from . import services
from .charts import LEVEL_COLOURS, stacked_bars
from .exports import XLSX_MIMETYPE, csv_export, xlsx_export
from .matrix import matrix_sheet
from .programme import programme_report, programme_sheets

bp = Blueprint("reports", __name__)


def _lang() -> str:
    return str(get_locale() or "en")


def _report(cohort_id: int) -> services.CohortReport:
    return services.cohort_report(current_user, cohort_id, store().framework(_lang()))


def _page_context(report: services.CohortReport) -> dict:
    lang = _lang()
    rtl = direction(lang) == "rtl"
    dists = report.matrix.distributions
    return {
        "report": report,
        "cohort": report.cohort,
        "matrix": report.matrix,
        "level_names": {n: str(name) for n, name in LEVEL_NAMES.items()},
        "level_colours": LEVEL_COLOURS,
        "before_chart": stacked_bars([(d.competency.id, d.before) for d in dists], rtl=rtl),
        "after_chart": stacked_bars([(d.competency.id, d.after) for d in dists], rtl=rtl),
        "lang": lang,
        "dir": direction(lang),
    }


@bp.get("/cohorts/<int:cohort_id>/report")
@requires(is_staff)
def cohort(cohort_id: int):
    """Trainees x competencies, first and latest level, the distribution before and after."""
    return render_template("reports/cohort.html", **_page_context(_report(cohort_id)))


@bp.get("/cohorts/<int:cohort_id>/report.pdf")
@requires(is_staff)
def cohort_pdf(cohort_id: int):
    report = _report(cohort_id)
    html = render_template("print/cohort_report.html", **_page_context(report))
    return pdf_download(self_contained_pdf(html), f"competencies-{report.cohort.name}.pdf")


@bp.get("/cohorts/<int:cohort_id>/report.csv")
@requires(is_staff)
def cohort_csv(cohort_id: int):
    report = _report(cohort_id)
    header, rows = matrix_sheet(report.matrix)
    return csv_download(csv_export(header, rows), f"competencies-{report.cohort.name}.csv")


@bp.get("/cohorts/<int:cohort_id>/report.xlsx")
@requires(is_staff)
def cohort_xlsx(cohort_id: int):
    report = _report(cohort_id)
    header, rows = matrix_sheet(report.matrix)
    body = xlsx_export([("competencies", header, rows)])
    return download(body, f"competencies-{report.cohort.name}.xlsx", XLSX_MIMETYPE)


# -- the programme report -----------------------------------------------------------------


def _period() -> tuple[date, date, str | None]:
    """The period from ?from=&to= (ISO dates); this calendar year so far when not given."""
    today = datetime.now(UTC).date()
    values = {"from": date(today.year, 1, 1), "to": today}
    for field in ("from", "to"):
        raw = request.args.get(field, "").strip()
        if not raw:
            continue
        try:
            values[field] = date.fromisoformat(raw)
        except ValueError:
            return values["from"], values["to"], _("%(field)s: enter a date as YYYY-MM-DD.", field=field)
    if values["from"] > values["to"]:
        return values["from"], values["to"], _("%(field)s: the period ends before it starts.", field="to")
    return values["from"], values["to"], None


def _programme_context() -> dict:
    start, end, error = _period()
    lang = _lang()
    return {
        "start": start,
        "end": end,
        "error": error,
        "report": None if error else programme_report(start, end),
        "site_names": {site_id: site.name for site_id, site in store().sites().items()},
        "lang": lang,
        "dir": direction(lang),
    }


@bp.get("/reports/programme")
@requires(may_see_programme_report)
def programme():
    """Per site and language: trainees, workshops, competency gains, flags, certificates."""
    context = _programme_context()
    return render_template("reports/programme.html", **context), 400 if context["error"] else 200


@bp.get("/reports/programme.pdf")
@requires(may_see_programme_report)
def programme_pdf():
    context = _programme_context()
    if context["error"]:
        return render_template("reports/programme.html", **context), 400
    html = render_template("print/programme_report.html", **context)
    return pdf_download(self_contained_pdf(html), f"programme-{context['start']}-{context['end']}.pdf")


@bp.get("/reports/programme.xlsx")
@requires(may_see_programme_report)
def programme_xlsx():
    context = _programme_context()
    if context["error"]:
        return render_template("reports/programme.html", **context), 400
    body = xlsx_export(programme_sheets(context["report"]))
    return download(body, f"programme-{context['start']}-{context['end']}.xlsx", XLSX_MIMETYPE)


# -- a trainee's record ---------------------------------------------------------------------


def _record_context(trainee_id: int) -> dict:
    lang = _lang()
    return {
        "record": services.trainee_record(current_user, trainee_id, store(), lang),
        "level_names": {n: str(name) for n, name in LEVEL_NAMES.items()},
        "evidence_names": {k: str(name) for k, name in EVIDENCE_NAMES.items()},
        "lang": lang,
        "dir": direction(lang),
    }


@bp.get("/trainees/<int:trainee_id>/record")
@login_required
def trainee_record(trainee_id: int):
    """The trainee's record on one page; the trainee sees their own without the staff-only parts."""
    return render_template("reports/record.html", **_record_context(trainee_id))


@bp.get("/trainees/<int:trainee_id>/record.pdf")
@login_required
def trainee_record_pdf(trainee_id: int):
    context = _record_context(trainee_id)
    html = render_template("print/trainee_record.html", **context)
    return pdf_download(self_contained_pdf(html), f"record-{context['record'].trainee.name}.pdf")
