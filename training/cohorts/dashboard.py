"""The trainer's cohort grid: trainees × modules, in a fixed number of queries whatever the size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..accounts.models import User
from ..curriculum import CurriculumStore, ModuleView
from ..learning.progress import ModuleProgress, curriculum_progress, done_by_user
from .models import Cohort
from .services import trainees_of


@dataclass(frozen=True)
class GridRow:
    trainee: User
    cells: tuple[ModuleProgress, ...]
    overall: int
    last_activity: datetime | None


SORTS = ("name", "progress", "activity")


def cohort_grid(
    store: CurriculumStore, cohort: Cohort, sort: str = "name", descending: bool = False
) -> tuple[list[ModuleView], list[GridRow]]:
    views = store.modules(cohort.language, cohort.site_id)
    trainees = trainees_of(cohort)  # one query
    done = done_by_user(t.id for t in trainees)  # one query
    rows = []
    for trainee in trainees:
        cells, overall = curriculum_progress(views, done[trainee.id])
        activity = [c.last_activity for c in cells if c.last_activity]
        rows.append(GridRow(trainee, tuple(cells), overall, max(activity) if activity else None))
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


def grid_table(views: list[ModuleView], rows: list[GridRow]) -> tuple[list[str], list[list]]:
    """The progress grid as a header and rows, for CSV or .xlsx."""
    header = ["name", "login", "overall_percent", *(f"{v.slug}_percent" for v in views), "last_activity_utc"]
    return (
        header,
        [
            [
                row.trainee.name,
                row.trainee.login,
                row.overall,
                *(c.percent for c in row.cells),
                row.last_activity.isoformat() if row.last_activity else "",
            ]
            for row in rows
        ],
    )
