"""The programme report for organisation admins and funders: per site and language, for a period.

A fixed number of aggregate-friendly queries whatever the size; the page, the PDF and the
.xlsx all read the ProgrammeReport built here. Rules:

- a trainee belongs to the site and language of each cohort they are enrolled in;
- **enrolled**: enrolled by the end of the period; **active**: a valid assessment observed or
  a workshop attended in the period; **completed**: holds a competency certificate issued in the
  period and not revoked;
- **workshops**: sessions held in the period (PeerPath records sessions, not their length);
- **competency gains**: per competency, the first and latest valid level observed in the period,
  averaged over trainees assessed at least twice;
- **safety flags**: raised and closed in the period, median days from raising to closing of
  those closed; a flag raised by an assessment that was later revoked is not counted;
- **certificates**: issued in the period, and revoked in the period (by the certificate's site
  and language). Revoked assessments never count anywhere.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from ..assessments.models import Assessment, Certificate, Revocation, SafetyFlag
from ..cohorts.models import Attendance, Cohort, Enrolment, Workshop
from ..extensions import db

Group = tuple[str, str]  # (site id, language)


@dataclass(frozen=True)
class GroupRow:
    site_id: str
    language: str
    enrolled: int
    active: int
    completed: int
    workshops: int
    flags_raised: int
    flags_closed: int
    median_days_to_close: float | None
    certificates_issued: int
    certificates_revoked: int


@dataclass(frozen=True)
class GainRow:
    site_id: str
    language: str
    competency: str
    trainees: int  # assessed at least twice in the period
    mean_first: float
    mean_latest: float

    @property
    def gain(self) -> float:
        return self.mean_latest - self.mean_first


@dataclass(frozen=True)
class ProgrammeReport:
    start: date
    end: date  # inclusive
    groups: tuple[GroupRow, ...]
    gains: tuple[GainRow, ...]


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def programme_report(start: date, end: date) -> ProgrammeReport:
    """Every site and language's numbers for the period start..end (both days included, UTC)."""
    since, until = _moment(start), _moment(end + timedelta(days=1))
    cohort_group: dict[int, Group] = {
        cid: (site, lang) for cid, site, lang in db.session.execute(select(Cohort.id, Cohort.site_id, Cohort.language))
    }
    enrolled: dict[Group, set[int]] = defaultdict(set)
    for user_id, cohort_id in db.session.execute(
        select(Enrolment.user_id, Enrolment.cohort_id).where(Enrolment.enrolled_at < until)
    ):
        enrolled[cohort_group[cohort_id]].add(user_id)

    active: dict[Group, set[int]] = defaultdict(set)
    valid = (
        select(Assessment.trainee_id, Assessment.cohort_id, Assessment.competency, Assessment.level)
        .outerjoin(Revocation, Revocation.assessment_id == Assessment.id)
        .where(Revocation.id.is_(None), Assessment.observed_on >= start, Assessment.observed_on <= end)
        .order_by(Assessment.observed_on, Assessment.created_at, Assessment.id)
    )
    levels: dict[tuple[Group, str, int], list[int]] = defaultdict(list)
    for trainee_id, cohort_id, competency, level in db.session.execute(valid):
        group = cohort_group[cohort_id]
        active[group].add(trainee_id)
        levels[(group, competency, trainee_id)].append(level)
    for user_id, cohort_id in db.session.execute(
        select(Attendance.user_id, Workshop.cohort_id)
        .join(Workshop, Workshop.id == Attendance.workshop_id)
        .where(Workshop.held_on >= start, Workshop.held_on <= end)
    ):
        active[cohort_group[cohort_id]].add(user_id)

    workshops: dict[Group, int] = defaultdict(int)
    for (cohort_id,) in db.session.execute(
        select(Workshop.cohort_id).where(Workshop.held_on >= start, Workshop.held_on <= end)
    ):
        workshops[cohort_group[cohort_id]] += 1

    raised: dict[Group, int] = defaultdict(int)
    closed_days: dict[Group, list[float]] = defaultdict(list)
    for raised_at, closed_at, cohort_id in db.session.execute(
        select(SafetyFlag.raised_at, SafetyFlag.closed_at, Assessment.cohort_id)
        .join(Assessment, Assessment.id == SafetyFlag.raised_by_assessment_id)
        .outerjoin(Revocation, Revocation.assessment_id == Assessment.id)
        .where(Revocation.id.is_(None))
        .where(
            ((SafetyFlag.raised_at >= since) & (SafetyFlag.raised_at < until))
            | ((SafetyFlag.closed_at >= since) & (SafetyFlag.closed_at < until))
        )
    ):
        group = cohort_group[cohort_id]
        if since <= _aware(raised_at) < until:
            raised[group] += 1
        if closed_at is not None and since <= _aware(closed_at) < until:
            closed_days[group].append((_aware(closed_at) - _aware(raised_at)).total_seconds() / 86400)

    issued: dict[Group, int] = defaultdict(int)
    completed: dict[Group, set[int]] = defaultdict(set)
    revoked: dict[Group, int] = defaultdict(int)
    for trainee_id, site_id, language, issued_at, revoked_at in db.session.execute(
        select(
            Certificate.trainee_id,
            Certificate.site_id,
            Certificate.language,
            Certificate.issued_at,
            Certificate.revoked_at,
        ).where(
            ((Certificate.issued_at >= since) & (Certificate.issued_at < until))
            | ((Certificate.revoked_at >= since) & (Certificate.revoked_at < until))
        )
    ):
        group = (site_id, language)
        if since <= _aware(issued_at) < until:
            issued[group] += 1
            if revoked_at is None:
                completed[group].add(trainee_id)
        if revoked_at is not None and since <= _aware(revoked_at) < until:
            revoked[group] += 1

    groups = sorted(set(cohort_group.values()) | set(issued) | set(revoked))
    rows = tuple(
        GroupRow(
            site_id=g[0],
            language=g[1],
            enrolled=len(enrolled[g]),
            active=len(active[g]),
            completed=len(completed[g]),
            workshops=workshops[g],
            flags_raised=raised[g],
            flags_closed=len(closed_days[g]),
            median_days_to_close=round(statistics.median(closed_days[g]), 1) if closed_days[g] else None,
            certificates_issued=issued[g],
            certificates_revoked=revoked[g],
        )
        for g in groups
    )
    return ProgrammeReport(start, end, rows, _gains(levels))


def _gains(levels: dict[tuple[Group, str, int], list[int]]) -> tuple[GainRow, ...]:
    pairs: dict[tuple[Group, str], list[tuple[int, int]]] = defaultdict(list)
    for (group, competency, _trainee), seen in levels.items():
        if len(seen) >= 2:
            pairs[(group, competency)].append((seen[0], seen[-1]))
    return tuple(
        GainRow(
            site_id=group[0],
            language=group[1],
            competency=competency,
            trainees=len(values),
            mean_first=round(statistics.fmean(v[0] for v in values), 2),
            mean_latest=round(statistics.fmean(v[1] for v in values), 2),
        )
        for (group, competency), values in sorted(pairs.items())
    )


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive UTC timestamps for some column types; compare like with like.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


GROUP_HEADER = [
    "site",
    "language",
    "enrolled",
    "active",
    "completed",
    "workshops_held",
    "flags_raised",
    "flags_closed",
    "median_days_to_close",
    "certificates_issued",
    "certificates_revoked",
]
GAIN_HEADER = ["site", "language", "competency", "trainees", "mean_first_level", "mean_latest_level", "gain"]


def programme_sheets(report: ProgrammeReport) -> list[tuple[str, list[str], list[list]]]:
    """The report as two flat tables for the .xlsx."""
    groups = [
        [
            r.site_id,
            r.language,
            r.enrolled,
            r.active,
            r.completed,
            r.workshops,
            r.flags_raised,
            r.flags_closed,
            r.median_days_to_close,
            r.certificates_issued,
            r.certificates_revoked,
        ]
        for r in report.groups
    ]
    gains = [
        [g.site_id, g.language, g.competency, g.trainees, g.mean_first, g.mean_latest, round(g.gain, 2)]
        for g in report.gains
    ]
    return [("sites", GROUP_HEADER, groups), ("competency gains", GAIN_HEADER, gains)]
