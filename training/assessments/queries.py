"""What the assessment pages and exports read: records, the site overview, CSV rows.

Read-only queries, a fixed number per page whatever the size; permission checks stay with
the caller (services and routes ask training.permissions first).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..accounts.models import Role, User
from ..cohorts.models import Cohort, Enrolment, Workshop
from ..curriculum import CurriculumStore, Framework
from ..extensions import db
from . import grid
from .csvexport import assessments_csv
from .grid import GridPage
from .models import Assessment, Certificate, SafetyFlag
from .services import assessments_of, open_flags_of
from .status import CompetencyStatus, RefresherEntry, all_achieved, refresher_list, trainee_record


@dataclass(frozen=True)
class TraineeRecord:
    assessments: list[Assessment]
    flags: list[SafetyFlag]  # open and closed, oldest first
    record: list[CompetencyStatus]


def record_of(framework: Framework, trainee: User) -> TraineeRecord:
    """A trainee's assessments, safety flags and what they add up to."""
    assessments = assessments_of([trainee.id])[trainee.id]
    flags = list(
        db.session.scalars(select(SafetyFlag).where(SafetyFlag.trainee_id == trainee.id).order_by(SafetyFlag.raised_at))
    )
    return TraineeRecord(assessments, flags, trainee_record(framework, assessments, [f for f in flags if f.open]))


def competency_grid(framework: Framework, cohort: Cohort, letters: dict[str, str], page: int = 1) -> GridPage:
    """Trainees × competencies, one page of them: latest level and flags, from plain rows (see ``grid``)."""
    return grid.competency_grid(framework, cohort, letters, page)


def trainee_history(record: TraineeRecord) -> tuple[list[tuple], dict[int, User]]:
    """Every event on the record, newest first, and the people who closed flags."""
    assessments, flags = record.assessments, record.flags
    events = sorted(
        [("assessment", a.created_at, a) for a in assessments]
        + [("revocation", a.revocation.created_at, a) for a in assessments if a.revocation is not None]
        + [("flag", f.raised_at, f) for f in flags]
        + [("flag_closed", f.closed_at, f) for f in flags if f.closed_at],
        key=lambda e: e[1],
        reverse=True,
    )
    closers = {f.closed_by_id for f in flags if f.closed_by_id}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(closers)))} if closers else {}
    return events, users


def workshops_newest_first(cohort: Cohort) -> list[Workshop]:
    return list(
        db.session.scalars(select(Workshop).where(Workshop.cohort_id == cohort.id).order_by(Workshop.held_on.desc()))
    )


@dataclass(frozen=True)
class SiteOverview:
    trainees: dict[int, User]
    flags: list[SafetyFlag]
    ready: list[User]  # every competency achieved, no valid certificate yet
    certificates: list[Certificate]
    refreshers: list[RefresherEntry]
    cohort_of: dict[int, int]  # trainee -> their first cohort


def site_overview(store: CurriculumStore, framework: Framework, site_id: str) -> SiteOverview:
    """The coordinator's page: open flags, who is ready for a certificate, certificates, refreshers."""
    trainees = list(
        db.session.scalars(select(User).where(User.site_id == site_id, User.role == Role.TRAINEE).order_by(User.name))
    )
    ids = [t.id for t in trainees]
    by_trainee = assessments_of(ids)
    flags = open_flags_of(ids)
    certs = list(
        db.session.scalars(
            select(Certificate).where(Certificate.site_id == site_id).order_by(Certificate.issued_at.desc())
        )
    )
    holders = {c.trainee_id for c in certs if c.valid}
    ready = [
        t for t in trainees if t.id not in holders and all_achieved(trainee_record(framework, by_trainee[t.id], []))
    ]
    return SiteOverview(
        trainees={t.id: t for t in trainees},
        flags=[f for fl in flags.values() for f in fl],
        ready=ready,
        certificates=certs,
        refreshers=refresher_list(store, site_id, framework, by_trainee),
        cohort_of=_first_cohorts(ids),
    )


def _first_cohorts(trainee_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(select(Enrolment.user_id, Enrolment.cohort_id).where(Enrolment.user_id.in_(trainee_ids)))
    result: dict[int, int] = {}
    for user_id, cohort_id in rows:
        result.setdefault(user_id, cohort_id)
    return result


def valid_certificates_of(trainee: User) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate).where(Certificate.trainee_id == trainee.id, Certificate.revoked_at.is_(None))
        )
    )


def cohort_assessments_csv(cohort: Cohort) -> str:
    """Every assessment recorded in the cohort, revoked ones included, oldest first."""
    return assessments_csv(Assessment.cohort_id == cohort.id)


def site_assessments_csv(site_id: str) -> str:
    """Every assessment recorded at the site, revoked ones included, oldest first."""
    return assessments_csv(Assessment.site_id == site_id)
