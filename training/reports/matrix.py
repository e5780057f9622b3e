"""The cohort competency matrix: first and latest level per trainee and competency.

One query (every assessment of the cohort's trainees, revocations joined) feeds the page,
the PDF, the CSV and the .xlsx, so they cannot disagree. Revoked assessments never count.

- **first**: the level of the earliest valid assessment of the competency (by date observed,
  then by when it was recorded), whatever the kind of evidence: where the trainee started.
- **latest**: the trainee's standing now, as on the competency grid: the lowest of the latest
  valid levels per kind of evidence (a level 0 in practice is not hidden by a 3 in knowledge).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..accounts.models import User
from ..assessments.models import LEVELS, Assessment
from ..assessments.services import assessments_of
from ..assessments.status import latest_valid
from ..curriculum import Competency, Framework


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


def matrix_cell(assessments: list[Assessment], competency: Competency) -> MatrixCell:
    """First and latest valid level of one competency from one trainee's assessments."""
    valid = [a for a in assessments if a.competency == competency.id and a.valid]
    if not valid:
        return MatrixCell(None, None)
    first = min(valid, key=lambda a: (a.observed_on, a.created_at))
    latest = latest_valid(valid, competency.id)
    return MatrixCell(first.level, min(a.level for a in latest.values()))


def cohort_matrix(framework: Framework, trainees: list[User]) -> CohortMatrix:
    """Trainees x competencies, first and latest level, and the distribution per competency."""
    by_trainee = assessments_of([t.id for t in trainees])
    competencies = tuple(framework.competencies)
    rows = tuple(MatrixRow(t, tuple(matrix_cell(by_trainee[t.id], c) for c in competencies)) for t in trainees)
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
