"""Report pages: the cohort competency matrix on screen, as PDF, CSV and .xlsx (one query each)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_login import current_user

from ..assessments.levels import LEVEL_NAMES
from ..curriculum import direction
from ..downloads import csv_download, download, pdf_download
from ..permissions import is_staff
from ..printing import self_contained_pdf
from ..web import store
from ..webforms import requires
from . import services
from .charts import LEVEL_COLOURS, stacked_bars
from .exports import XLSX_MIMETYPE, csv_export, xlsx_export
from .matrix import matrix_sheet

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
