"""Report lookups: the permission question first, then the one query behind every format."""

from __future__ import annotations

from dataclasses import dataclass

from ..accounts.models import Role, User
from ..cohorts.models import Cohort
from ..cohorts.services import trainees_of
from ..curriculum import CurriculumStore, Framework
from ..errors import NotFoundError
from ..extensions import db
from ..permissions import may_see_cohort_report, may_see_trainee_flags, may_view_trainee
from .matrix import CohortMatrix, cohort_matrix
from .record import TraineeRecordReport, trainee_record_report


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


def trainee_record(actor: User, trainee_id: int, store: CurriculumStore, lang: str) -> TraineeRecordReport:
    """A trainee's record for whoever may view it; safety flags only for staff who may see them."""
    trainee = db.session.get(User, trainee_id)
    if trainee is None or trainee.role != Role.TRAINEE or not may_view_trainee(actor, trainee):
        raise NotFoundError("no such trainee")
    return trainee_record_report(
        store, store.framework(lang), lang, trainee, with_flags=may_see_trainee_flags(actor, trainee)
    )
