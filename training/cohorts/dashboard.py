"""The trainer's cohort grid: trainees × modules, in a fixed number of queries whatever the size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flask_babel import format_date, format_percent, get_timezone
from markupsafe import Markup, escape
from sqlalchemy import select

from ..accounts.models import User
from ..csvutil import csv_text
from ..curriculum import CurriculumStore, ModuleView
from ..extensions import db
from ..learning.progress import ModuleProgress, module_counts
from .models import Cohort, Enrolment


class Trainee(NamedTuple):
    """What the grid and its CSV show of a trainee: plain columns, no ORM object per row."""

    id: int
    name: str
    login: str


class GridCell(NamedTuple):
    """One module of one trainee: sections done of those the module has now."""

    slug: str
    done: int
    total: int
    percent: int
    complete: bool


@dataclass(frozen=True)
class GridRow:
    trainee: Trainee
    cells: tuple[GridCell, ...]
    overall: int
    last_activity: datetime | None


SORTS = ("name", "progress", "activity")
PAGE_SIZE = 1000  # rows per page of the grid: a cohort of 1,000 is one page, 5,000 are five


@dataclass(frozen=True)
class Page:
    rows: list[GridRow]
    page: int
    pages: int
    first: int  # 1-based position of the first row shown
    total: int


def page_of(rows: list[GridRow], page: int) -> Page:
    """One page of the sorted rows (the nearest page when the number is out of range)."""
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * PAGE_SIZE
    return Page(rows[start : start + PAGE_SIZE], page, pages, start + 1, len(rows))


def cohort_grid(
    store: CurriculumStore, cohort: Cohort, sort: str = "name", descending: bool = False
) -> tuple[list[ModuleView], list[GridRow]]:
    views = store.modules(cohort.language, cohort.site_id)
    enrolled = select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)
    trainees = [
        Trainee(*row)
        for row in db.session.execute(
            select(User.id, User.name, User.login).where(User.id.in_(enrolled)).order_by(User.name)
        )
    ]
    counts = module_counts(enrolled, views)  # one row per trainee and module, counted by the database
    totals = [(v.slug, len(v.section_ids)) for v in views]
    total = sum(n for _slug, n in totals)
    shared: dict[tuple[str, int], GridCell] = {}  # a cell is its module and count: a few dozen distinct ones

    def cell(slug: str, done: int, size: int) -> GridCell:
        key = (slug, done)
        if key not in shared:
            progress = ModuleProgress(slug, done, size, None, ())
            shared[key] = GridCell(slug, done, size, progress.percent, progress.complete)
        return shared[key]

    empty: dict[str, tuple[int, datetime]] = {}
    rows = []
    for trainee in trainees:
        mine = counts.get(trainee.id, empty)
        cells = tuple(cell(slug, mine[slug][0] if slug in mine else 0, size) for slug, size in totals)
        finished = sum(c.done for c in cells)
        latest = [mine[slug][1] for slug, _size in totals if slug in mine and mine[slug][1] is not None]
        overall = round(100 * finished / total) if total else 0
        rows.append(GridRow(trainee, cells, overall, max(latest) if latest else None))
    slugs = [v.slug for v in views]
    if sort == "progress":
        rows.sort(key=lambda r: (r.overall, r.trainee.name.casefold()))
    elif sort == "activity":
        rows.sort(
            key=lambda r: (r.last_activity is not None, r.last_activity or datetime.min, r.trainee.name.casefold())
        )
    elif sort in slugs:
        i = slugs.index(sort)
        rows.sort(key=lambda r: (r.cells[i].percent, r.trainee.name.casefold()))
    else:
        rows.sort(key=lambda r: r.trainee.name.casefold())
    if descending:
        rows.reverse()
    return views, rows


def grid_labels(rows: list[GridRow]) -> tuple[dict[int, Markup], dict[int, Markup]]:
    """Percentages and last-activity dates as shown, formatted once per distinct value (not per cell)."""
    cells = set().union(*(row.cells for row in rows))  # shared cells: a few dozen distinct ones
    percents = {row.overall for row in rows} | {cell.percent for cell in cells}
    percent_text = {p: escape(format_percent(p / 100)) for p in percents}  # escaped once, not per cell
    zone = get_timezone()
    day_text: dict = {}
    activity_text = {}
    for row in rows:
        if row.last_activity is None:
            continue
        day = row.last_activity.astimezone(zone).date()  # the day format_date(datetime) shows
        if day not in day_text:
            day_text[day] = escape(format_date(day))
        activity_text[row.trainee.id] = day_text[day]
    return percent_text, activity_text


def grid_csv(views: list[ModuleView], rows: list[GridRow]) -> str:
    header = ["name", "login", "overall_percent", *(f"{v.slug}_percent" for v in views), "last_activity_utc"]
    return csv_text(
        header,
        (
            [
                row.trainee.name,
                row.trainee.login,
                row.overall,
                *(c.percent for c in row.cells),
                row.last_activity.isoformat() if row.last_activity else "",
            ]
            for row in rows
        ),
    )
