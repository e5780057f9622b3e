"""Report lookups: the permission question first, then the one query behind every format."""

from __future__ import annotations

from dataclasses import dataclass

from ..accounts.models import User
from ..cohorts.models import Cohort
from ..cohorts.services import trainees_of
from ..curriculum import Framework
from ..errors import NotFoundError
from ..extensions import db
from ..permissions import may_see_cohort_report
from .matrix import CohortMatrix, cohort_matrix


@dataclass(frozen=True)
class CohortReport:
    cohort: Cohort
    matrix: CohortMatrix


def cohort_report(actor: User | None, cohort_id: int, framework: Framework) -> CohortReport:
    """The cohort's competency matrix if the actor may see it (actor None: the command line); 404 otherwise."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or (actor is not None and not may_see_cohort_report(actor, cohort)):
        raise NotFoundError("no such cohort")
    return CohortReport(cohort, cohort_matrix(framework, cohort, trainees_of(cohort)))
