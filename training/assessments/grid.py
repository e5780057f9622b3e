"""The cohort competency grid: the latest valid level per trainee, competency and kind of evidence.

Built from plain rows (no ORM objects, no eager joins) and paged, so a cohort of thousands stays
a page of a few hundred kilobytes. Same rule as ``status.latest_valid``: the latest valid
assessment by date observed, then by when it was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup, escape
from sqlalchemy import func, select

from ..accounts.models import User
from ..cohorts.dashboard import Trainee
from ..cohorts.models import Cohort, Enrolment
from ..curriculum import Competency, Framework
from ..extensions import db
from .models import ACHIEVED_LEVEL, Assessment, Revocation, SafetyFlag

PAGE_SIZE = 200


@dataclass(frozen=True)
class GridCell:
    competency: Competency
    levels: dict[str, int]  # evidence kind -> level of the latest valid assessment
    achieved: bool
    flagged: bool
    label: Markup  # what the cell shows, e.g. "W2 F·" or "✓ ⚠"


@dataclass(frozen=True)
class GridRow:
    trainee: Trainee
    cells: tuple[GridCell, ...]
    achieved: int
    flags: int


@dataclass(frozen=True)
class GridPage:
    rows: list[GridRow]
    page: int
    pages: int
    first: int  # 1-based position of the first row shown
    total: int  # trainees in the cohort


def competency_grid(framework: Framework, cohort: Cohort, letters: dict[str, str], page: int = 1) -> GridPage:
    """One page of the grid (trainees by name) in four queries, whatever the cohort's size."""
    enrolled = select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)
    total = db.session.scalar(select(func.count()).select_from(enrolled.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    trainees = [
        Trainee(*row)
        for row in db.session.execute(
            select(User.id, User.name, User.login)
            .where(User.id.in_(enrolled))
            .order_by(User.name, User.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    ]
    ids = [t.id for t in trainees]
    latest: dict[tuple[int, str, str], tuple[date, datetime, int]] = {}
    if ids:
        rows = db.session.execute(
            select(
                Assessment.trainee_id,
                Assessment.competency,
                Assessment.evidence_kind,
                Assessment.observed_on,
                Assessment.created_at,
                Assessment.level,
            )
            .outerjoin(Revocation, Revocation.assessment_id == Assessment.id)
            .where(Assessment.trainee_id.in_(ids), Revocation.id.is_(None))
            .order_by(Assessment.observed_on, Assessment.created_at, Assessment.id)
        )
        for trainee_id, competency, kind, observed_on, created_at, level in rows:
            key = (trainee_id, competency, kind)
            current = latest.get(key)
            if current is None or (observed_on, created_at) > current[:2]:
                latest[key] = (observed_on, created_at, level)
    open_flags: dict[int, set[str]] = {i: set() for i in ids}
    flag_count = dict.fromkeys(ids, 0)
    if ids:
        for trainee_id, competency in db.session.execute(
            select(SafetyFlag.trainee_id, SafetyFlag.competency).where(
                SafetyFlag.trainee_id.in_(ids), SafetyFlag.closed_at.is_(None)
            )
        ):
            open_flags[trainee_id].add(competency)
            flag_count[trainee_id] += 1
    labels: dict[tuple, Markup] = {}
    grid = []
    for trainee in trainees:
        cells = []
        for competency in framework.competencies:
            levels = {
                kind: latest[(trainee.id, competency.id, kind)][2]
                for kind in competency.evidence_kinds
                if (trainee.id, competency.id, kind) in latest
            }
            achieved = len(levels) == len(competency.evidence_kinds) and all(
                level >= ACHIEVED_LEVEL for level in levels.values()
            )
            flagged = competency.id in open_flags[trainee.id]
            key = (competency.id, tuple(levels.get(k) for k in competency.evidence_kinds), achieved, flagged)
            if key not in labels:
                labels[key] = _label(competency, levels, achieved, flagged, letters)
            cells.append(GridCell(competency, levels, achieved, flagged, labels[key]))
        grid.append(GridRow(trainee, tuple(cells), sum(c.achieved for c in cells), flag_count[trainee.id]))
    return GridPage(grid, page, pages, (page - 1) * PAGE_SIZE + 1, total)


def _label(competency: Competency, levels: dict[str, int], achieved: bool, flagged: bool, letters) -> Markup:
    if achieved:
        text = Markup("✓")
    else:
        text = Markup(" ").join(
            escape(letters[kind]) + escape(str(levels.get(kind, "·"))) for kind in competency.evidence_kinds
        )
    return text + Markup(" ⚠") if flagged else text
