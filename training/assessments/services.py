"""Recording and revoking assessments, safety flags. Every function takes the actor and the clock."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import User
from ..audit import record
from ..cohorts.models import Cohort, Workshop
from ..concurrency import insert_or_existing, lock_row
from ..curriculum import Competency, CurriculumStore
from ..errors import InvalidInput, NotFoundError
from ..extensions import db
from ..models_base import utcnow
from ..permissions import is_enrolled, may_assess, may_close_flag, may_revoke_assessment
from .models import EVIDENCE_KINDS, LEVELS, Assessment, Certificate, Revocation, SafetyFlag

MAX_NOTE = 2000
MIN_REASON = 5


def reason_text(text: str | None, field: str = "reason", message=None) -> str:
    """A reason or note for the record: whitespace folded, at least a few characters."""
    folded = " ".join((text or "").split())
    if len(folded) < MIN_REASON:
        raise InvalidInput(field, message or _l("Give a reason (a sentence is enough)."))
    return folded


def content_revision(store: CurriculumStore, competency: Competency, lang: str, site_id: str | None) -> str:
    """What the trainee studied: the linked modules as shown to them, and the framework."""
    parts = [store.framework_revision()]
    for slug in sorted(competency.modules):
        view = store.module(slug, lang, site_id)
        if view is not None:
            parts.append(f"{slug}:{view.revision}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def safety_revision(store: CurriculumStore, competency: Competency, site_id: str | None) -> str:
    """The safety-critical sections of the linked modules, as the site teaches them ('' when none)."""
    source = store.meta().source_language
    parts = []
    for slug in sorted(competency.modules):
        view = store.module(slug, source, site_id)
        if view is None:
            continue
        for placed in view.sections:
            if placed.id in view.safety_critical:
                parts.append(f"{slug}#{placed.id}:{placed.section.fingerprint()}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12] if parts else ""


def record_assessment(
    actor: User,
    store: CurriculumStore,
    *,
    cohort: Cohort,
    trainee: User,
    competency_id: str,
    evidence_kind: str,
    level: int | None,
    observed_on: date | None,
    note: str = "",
    checklist: list[str] | None = None,
    suggested_level: int | None = None,
    workshop_id: int | None = None,
    submission_id: str,
    now: datetime | None = None,
) -> Assessment:
    """Append an assessment. Sending the same form twice returns the first record."""
    now = now or utcnow()
    if not submission_id or len(submission_id) > 64:
        raise InvalidInput("submission_id", _l("The form is incomplete. Reload the page and try again."))
    existing = db.session.scalar(select(Assessment).where(Assessment.submission_id == submission_id))
    if existing is not None:
        if existing.assessor_id != actor.id:
            raise InvalidInput("submission_id", _l("The form is incomplete. Reload the page and try again."))
        return existing
    if actor.id == trainee.id:
        raise NotFoundError("nobody assesses themselves")
    if not may_assess(actor, cohort):
        raise NotFoundError("only the cohort's trainers assess its trainees")
    if not is_enrolled(trainee.id, cohort):
        raise NotFoundError("the trainee is not in this cohort")
    competency = store.framework(cohort.language).get(competency_id)
    if competency is None:
        raise InvalidInput("competency", _l("Choose a competency from the framework."))
    if evidence_kind not in EVIDENCE_KINDS or evidence_kind not in competency.evidence_kinds:
        raise InvalidInput("evidence_kind", _l("Choose a kind of evidence this competency needs."))
    if level not in LEVELS:
        raise InvalidInput("level", _l("Choose a level."))
    if observed_on is None:
        raise InvalidInput("observed_on", _l("Enter the date you observed it."))
    if observed_on > (now + timedelta(days=1)).date() or observed_on < date(2000, 1, 1):
        raise InvalidInput("observed_on", _l("The date cannot be in the future."))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput("note", _l("The note is too long (at most %(n)s characters).", n=MAX_NOTE))
    known_items = {item.id for item in competency.checklist}
    observed = sorted(set(checklist or []))
    if not set(observed) <= known_items:
        raise InvalidInput("checklist", _l("The checklist has items this competency does not have."))
    if workshop_id is not None:
        workshop = db.session.get(Workshop, workshop_id)
        if workshop is None or workshop.cohort_id != cohort.id:
            raise InvalidInput("workshop", _l("Choose a workshop of this cohort."))
    assessment = Assessment(
        trainee_id=trainee.id,
        assessor_id=actor.id,
        cohort_id=cohort.id,
        site_id=cohort.site_id,
        workshop_id=workshop_id,
        competency=competency.id,
        evidence_kind=evidence_kind,
        level=level,
        suggested_level=suggested_level,
        checklist=observed,
        observed_on=observed_on,
        note=note,
        language=cohort.language,
        content_revision=content_revision(store, competency, cohort.language, cohort.site_id),
        safety_revision=safety_revision(store, competency, cohort.site_id),
        submission_id=submission_id,
        created_at=now,
    )
    assessment, inserted = insert_or_existing(
        assessment, lambda: db.session.scalar(select(Assessment).where(Assessment.submission_id == submission_id))
    )
    if not inserted:  # the same form (or paper line) arrived twice at the same moment
        if assessment.assessor_id != actor.id:
            raise InvalidInput("submission_id", _l("This was recorded already."))
        return assessment
    record(
        actor,
        "assessment.record",
        "assessment",
        assessment.id,
        cohort.site_id,
        now=now,
        trainee=trainee.id,
        competency=competency.id,
        evidence_kind=evidence_kind,
        level=level,
    )
    if level == 0:
        raise_flag(actor, assessment, now)
    return assessment


def _open_flag(trainee_id: int, competency: str) -> SafetyFlag | None:
    return db.session.scalar(
        select(SafetyFlag).where(
            SafetyFlag.trainee_id == trainee_id, SafetyFlag.competency == competency, SafetyFlag.closed_at.is_(None)
        )
    )


def raise_flag(actor: User, assessment: Assessment, now: datetime) -> SafetyFlag:
    """The open flag for the trainee and competency; raised now if there is none.

    The database allows one open flag per trainee and competency (a partial unique
    index), so two level-0 ratings at the same instant end with one flag."""
    flag = _open_flag(assessment.trainee_id, assessment.competency)
    if flag is not None:
        return flag
    flag, inserted = insert_or_existing(
        SafetyFlag(
            trainee_id=assessment.trainee_id,
            site_id=assessment.site_id,
            competency=assessment.competency,
            raised_by_assessment_id=assessment.id,
            raised_at=now,
        ),
        lambda: _open_flag(assessment.trainee_id, assessment.competency),
    )
    if not inserted:
        return flag
    record(
        actor,
        "safety_flag.raise",
        "safety_flag",
        flag.id,
        assessment.site_id,
        now=now,
        trainee=assessment.trainee_id,
        competency=assessment.competency,
    )
    return flag


def revoke_assessment(actor: User, assessment: Assessment, reason: str, now: datetime | None = None) -> Revocation:
    """Withdraw an assessment with a reason; certificates that rested on it are flagged for review."""
    now = now or utcnow()
    if not may_revoke_assessment(actor, assessment):
        raise NotFoundError("not allowed")
    reason = reason_text(reason)
    revocation, inserted = insert_or_existing(
        Revocation(assessment_id=assessment.id, revoked_by_id=actor.id, reason=reason, created_at=now),
        lambda: db.session.scalar(select(Revocation).where(Revocation.assessment_id == assessment.id)),
    )
    if not inserted:
        if revocation.revoked_by_id == actor.id and revocation.reason == reason:
            return revocation  # the same form sent twice: done once
        raise InvalidInput("reason", _l("This assessment was revoked already."))
    record(
        actor,
        "assessment.revoke",
        "assessment",
        assessment.id,
        assessment.site_id,
        now=now,
        reason=reason,
        trainee=assessment.trainee_id,
        competency=assessment.competency,
    )
    for certificate in db.session.scalars(
        select(Certificate).where(Certificate.trainee_id == assessment.trainee_id, Certificate.revoked_at.is_(None))
    ):
        if assessment.id in (certificate.basis or []):
            certificate.needs_review = True
            certificate.review_reason = reason
            record(
                actor,
                "certificate.flag_review",
                "certificate",
                certificate.id,
                certificate.site_id,
                now=now,
                assessment=assessment.id,
            )
    return revocation


def revocable_assessment(actor: User, assessment_id: int) -> Assessment:
    """An assessment the actor may revoke (``may_revoke_assessment``); NotFoundError otherwise."""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None or not may_revoke_assessment(actor, assessment):
        raise NotFoundError("no such assessment")
    return assessment


def safety_flag(actor: User, flag_id: int) -> SafetyFlag:
    """A safety flag the actor may close (``may_close_flag``); NotFoundError otherwise."""
    flag = db.session.get(SafetyFlag, flag_id)
    if flag is None or not may_close_flag(actor, flag):
        raise NotFoundError("no such safety flag")
    return flag


def close_flag(actor: User, flag: SafetyFlag, note: str, now: datetime | None = None) -> None:
    """Close a safety flag: needs a later valid assessment of the competency at level 1 or above, and a note."""
    now = now or utcnow()
    if not may_close_flag(actor, flag):
        raise NotFoundError("not allowed")
    note = reason_text(note, "note", _l("Write a short note on how the concern was resolved."))
    lock_row(SafetyFlag, flag.id)
    db.session.refresh(flag)  # as the request before us (a double tap) left it
    if flag.closed_at is not None:
        if flag.closed_by_id == actor.id and flag.close_note == note:
            return  # the same form sent twice: closed once
        raise InvalidInput("note", _l("This flag is closed already."))
    later = [
        a
        for a in db.session.scalars(
            select(Assessment).where(
                Assessment.trainee_id == flag.trainee_id,
                Assessment.competency == flag.competency,
                Assessment.created_at > flag.raised_at,
                Assessment.level >= 1,
            )
        )
        if a.valid
    ]
    if not later:
        raise InvalidInput(
            "note", _l("A flag closes only after a later assessment of this competency at level 1 or above.")
        )
    flag.closed_at, flag.closed_by_id, flag.close_note = now, actor.id, note
    flag.closing_assessment_id = max(later, key=lambda a: a.created_at).id
    record(actor, "safety_flag.close", "safety_flag", flag.id, flag.site_id, now=now, note=note)


def assessments_of(trainee_ids: list[int]) -> dict[int, list[Assessment]]:
    """Every assessment (with its revocation and assessor) of many trainees, in one query."""
    result: dict[int, list[Assessment]] = {tid: [] for tid in trainee_ids}
    if not trainee_ids:
        return result
    rows = db.session.scalars(
        select(Assessment)
        .where(Assessment.trainee_id.in_(trainee_ids))
        .order_by(Assessment.observed_on, Assessment.created_at)
    ).unique()
    for row in rows:
        result[row.trainee_id].append(row)
    return result


def open_flags_of(trainee_ids: list[int]) -> dict[int, list[SafetyFlag]]:
    result: dict[int, list[SafetyFlag]] = {tid: [] for tid in trainee_ids}
    if not trainee_ids:
        return result
    for flag in db.session.scalars(
        select(SafetyFlag).where(SafetyFlag.trainee_id.in_(trainee_ids), SafetyFlag.closed_at.is_(None))
    ):
        result[flag.trainee_id].append(flag)
    return result
