"""What the records add up to: achievement per competency, trajectories, grids, refreshers.

A competency is achieved when, for every evidence kind it requires, the latest
valid (not revoked) assessment of that kind is at level 2 or above.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..curriculum import Competency, CurriculumStore, Framework
from .models import ACHIEVED_LEVEL, Assessment, SafetyFlag
from .services import safety_revision


def latest_valid(assessments: Iterable[Assessment], competency_id: str) -> dict[str, Assessment]:
    """The latest valid assessment per evidence kind (by date observed, then by when it was recorded)."""
    latest: dict[str, Assessment] = {}
    for a in assessments:
        if a.competency != competency_id or not a.valid:
            continue
        current = latest.get(a.evidence_kind)
        if current is None or (a.observed_on, a.created_at) > (current.observed_on, current.created_at):
            latest[a.evidence_kind] = a
    return latest


@dataclass(frozen=True)
class CompetencyStatus:
    competency: Competency
    latest: dict[str, Assessment]  # evidence kind -> latest valid assessment
    history: tuple[Assessment, ...]  # every assessment of this competency, oldest first, revoked ones included
    flagged: bool

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(k for k in self.competency.evidence_kinds if k not in self.latest)

    @property
    def below(self) -> tuple[str, ...]:
        return tuple(
            k for k in self.competency.evidence_kinds if k in self.latest and self.latest[k].level < ACHIEVED_LEVEL
        )

    @property
    def achieved(self) -> bool:
        return not self.missing and not self.below

    @property
    def started(self) -> bool:
        return bool(self.history)

    @property
    def lowest_latest(self) -> int | None:
        return min((a.level for a in self.latest.values()), default=None)

    @property
    def basis(self) -> list[int]:
        return sorted(a.id for a in self.latest.values())


def competency_status(
    competency: Competency, assessments: list[Assessment], flags: list[SafetyFlag]
) -> CompetencyStatus:
    history = tuple(a for a in assessments if a.competency == competency.id)
    return CompetencyStatus(
        competency=competency,
        latest=latest_valid(history, competency.id),
        history=history,
        flagged=any(f.competency == competency.id and f.open for f in flags),
    )


def trainee_record(
    framework: Framework, assessments: list[Assessment], flags: list[SafetyFlag]
) -> list[CompetencyStatus]:
    return [competency_status(c, assessments, flags) for c in framework.competencies]


def all_achieved(record: list[CompetencyStatus]) -> bool:
    return bool(record) and all(s.achieved for s in record)


@dataclass(frozen=True)
class RefresherEntry:
    trainee_id: int
    competency: str
    assessment: Assessment


def refresher_list(
    store: CurriculumStore, site_id: str, framework: Framework, assessments_by_trainee: dict[int, list[Assessment]]
) -> list[RefresherEntry]:
    """Trainees whose latest valid assessment of a competency predates a change to a linked safety-critical section."""
    current = {c.id: safety_revision(store, c, site_id) for c in framework.competencies}
    entries = []
    for trainee_id, assessments in assessments_by_trainee.items():
        for competency in framework.competencies:
            if not current[competency.id]:
                continue
            for assessment in latest_valid(assessments, competency.id).values():
                if assessment.safety_revision != current[competency.id]:
                    entries.append(RefresherEntry(trainee_id, competency.id, assessment))
                    break
    return entries
