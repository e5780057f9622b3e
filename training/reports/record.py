"""A trainee's record on one page: progress per module, workshops, competencies with their
trajectory, safety flags (staff only) and what is still needed for the certificate.

A fixed number of queries; the page and the PDF render the same TraineeRecordReport.
PeerPath records workshop sessions, not their length, so attendance is counted in sessions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..accounts.models import User
from ..assessments.models import Assessment, Certificate, SafetyFlag
from ..assessments.services import assessments_of
from ..assessments.status import CompetencyStatus, trainee_record
from ..cohorts.models import Attendance, Enrolment, Workshop
from ..curriculum import CurriculumStore, Framework
from ..extensions import db
from ..learning.progress import ModuleProgress, curriculum_progress, done_for


@dataclass(frozen=True)
class CompetencyLine:
    status: CompetencyStatus
    trajectory: tuple[int, ...]  # valid levels in the order observed

    @property
    def needed(self) -> tuple[str, ...]:
        """Evidence kinds still missing or below the achieved level."""
        return self.status.missing + self.status.below


@dataclass(frozen=True)
class TraineeRecordReport:
    trainee: User
    modules: list[tuple[str, ModuleProgress]]  # (title, progress)
    overall_percent: int
    workshops_held: int
    workshops_attended: int
    competencies: list[CompetencyLine]
    flags: list[SafetyFlag]  # empty unless the caller may see them
    certificates: list[Certificate]  # valid ones

    @property
    def still_needed(self) -> list[CompetencyLine]:
        return [line for line in self.competencies if not line.status.achieved]


def trainee_record_report(
    store: CurriculumStore, framework: Framework, lang: str, trainee: User, *, with_flags: bool
) -> TraineeRecordReport:
    views = store.modules(lang, trainee.site_id)
    per_module, overall = curriculum_progress(views, done_for(trainee))
    assessments: list[Assessment] = assessments_of([trainee.id])[trainee.id]
    flags = (
        list(
            db.session.scalars(
                select(SafetyFlag).where(SafetyFlag.trainee_id == trainee.id).order_by(SafetyFlag.raised_at)
            )
        )
        if with_flags
        else []
    )
    statuses = trainee_record(framework, assessments, [f for f in flags if f.open])
    lines = [
        CompetencyLine(s, tuple(a.level for a in s.history if a.valid)) for s in statuses
    ]  # history is oldest first
    cohort_ids = select(Enrolment.cohort_id).where(Enrolment.user_id == trainee.id).scalar_subquery()
    held = db.session.scalar(select(db.func.count(Workshop.id)).where(Workshop.cohort_id.in_(cohort_ids))) or 0
    attended = (
        db.session.scalar(
            select(db.func.count(Attendance.workshop_id))
            .join(Workshop, Workshop.id == Attendance.workshop_id)
            .where(Attendance.user_id == trainee.id, Workshop.cohort_id.in_(cohort_ids))
        )
        or 0
    )
    certificates = list(
        db.session.scalars(
            select(Certificate).where(Certificate.trainee_id == trainee.id, Certificate.revoked_at.is_(None))
        )
    )
    return TraineeRecordReport(
        trainee=trainee,
        modules=[(v.title, p) for v, p in zip(views, per_module, strict=True)],
        overall_percent=overall,
        workshops_held=held,
        workshops_attended=attended,
        competencies=lines,
        flags=flags,
        certificates=certificates,
    )
