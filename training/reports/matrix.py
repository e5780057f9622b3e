"""The cohort competency matrix: first and latest level per trainee and competency.

One query (every valid assessment of the cohort's trainees) feeds the page,
the PDF, the CSV and the .xlsx, so they cannot disagree. Revoked assessments never count.

- **first**: the level of the earliest valid assessment of the competency (by date observed,
  then by when it was recorded), whatever the kind of evidence: where the trainee started.
- **latest**: the trainee's standing now, as on the competency grid: the lowest of the latest
  valid levels per kind of evidence (a level 0 in practice is not hidden by a 3 in knowledge).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..accounts.models import User
from ..assessments.models import LEVELS, Assessment, Revocation
from ..cohorts.models import Cohort, Enrolment
from ..curriculum import Competency, Framework
from ..extensions import db

ValidRow = Any  # a result row with trainee_id, competency, evidence_kind, level


@dataclass(frozen=True)
class MatrixCell:
    first: int | None
    latest: int | None

    @property
    def change(self) -> int | None:
        """Latest minus first; None until the competency has been assessed."""
        return None if self.first is None or self.latest is None else self.latest - self.first


@dataclass(frozen=True)
class MatrixRow:
    trainee: User
    cells: tuple[MatrixCell, ...]


@dataclass(frozen=True)
class Distribution:
    competency: Competency
    before: tuple[int, ...]  # trainees per level 0..3 at their first assessment
    after: tuple[int, ...]  # trainees per level 0..3 now
    not_assessed: int


@dataclass(frozen=True)
class CohortMatrix:
    competencies: tuple[Competency, ...]
    rows: tuple[MatrixRow, ...]
    distributions: tuple[Distribution, ...]


def matrix_cell(rows: list[ValidRow]) -> MatrixCell:
    """First and latest level from one trainee's valid assessments of one competency, oldest first."""
    if not rows:
        return MatrixCell(None, None)
    latest_per_kind = {row.evidence_kind: row.level for row in rows}  # later rows overwrite earlier ones
    return MatrixCell(rows[0].level, min(latest_per_kind.values()))


def valid_rows(cohort: Cohort) -> dict[tuple[int, str], list[ValidRow]]:
    """Every valid assessment of the cohort's trainees (wherever recorded), oldest first, in one query.

    Plain columns rather than Assessment objects: a cohort of 1,000 has tens of thousands of
    assessments, and the matrix needs five numbers of each.
    """
    query = (
        select(
            Assessment.trainee_id,
            Assessment.competency,
            Assessment.evidence_kind,
            Assessment.level,
        )
        .join(Enrolment, (Enrolment.user_id == Assessment.trainee_id) & (Enrolment.cohort_id == cohort.id))
        .outerjoin(Revocation, Revocation.assessment_id == Assessment.id)
        .where(Revocation.id.is_(None))
        .order_by(Assessment.observed_on, Assessment.created_at, Assessment.id)
    )
    grouped: dict[tuple[int, str], list[ValidRow]] = defaultdict(list)
    for row in db.session.execute(query):
        grouped[(row.trainee_id, row.competency)].append(row)
    return grouped


def cohort_matrix(framework: Framework, cohort: Cohort, trainees: list[User]) -> CohortMatrix:
    """Trainees x competencies, first and latest level, and the distribution per competency."""
    grouped = valid_rows(cohort)
    competencies = tuple(framework.competencies)
    rows = tuple(
        MatrixRow(t, tuple(matrix_cell(grouped.get((t.id, c.id), [])) for c in competencies)) for t in trainees
    )
    distributions = []
    for index, competency in enumerate(competencies):
        cells = [row.cells[index] for row in rows]
        distributions.append(
            Distribution(
                competency,
                before=tuple(sum(1 for c in cells if c.first == level) for level in LEVELS),
                after=tuple(sum(1 for c in cells if c.latest == level) for level in LEVELS),
                not_assessed=sum(1 for c in cells if c.first is None),
            )
        )
    return CohortMatrix(competencies, rows, tuple(distributions))


def matrix_sheet(matrix: CohortMatrix) -> tuple[list[str], list[list]]:
    """The matrix as one flat table (header, rows) for CSV and .xlsx: one row per trainee and competency."""
    header = ["trainee", "trainee_login", "competency", "first_level", "latest_level", "change"]
    rows = [
        [row.trainee.name, row.trainee.login, competency.id, cell.first, cell.latest, cell.change]
        for row in matrix.rows
        for competency, cell in zip(matrix.competencies, row.cells, strict=True)
    ]
    return header, rows
