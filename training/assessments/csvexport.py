"""Assessment records as CSV for spreadsheets: one query of plain columns, whatever the size."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import aliased

from ..accounts.models import User
from ..csvutil import csv_text
from ..extensions import db
from .models import Assessment, Revocation

HEADER = [
    "assessment_id",
    "recorded_at_utc",
    "trainee",
    "trainee_login",
    "competency",
    "evidence_kind",
    "level",
    "suggested_level",
    "observed_on",
    "assessor",
    "cohort_id",
    "workshop_id",
    "language",
    "content_revision",
    "checklist",
    "note",
    "revoked_at_utc",
    "revoked_by",
    "revocation_reason",
]

# ids, numbers, timestamps and dates: never text someone typed.
PLAIN = frozenset(
    HEADER.index(c)
    for c in (
        "assessment_id",
        "recorded_at_utc",
        "level",
        "suggested_level",
        "observed_on",
        "cohort_id",
        "workshop_id",
        "revoked_at_utc",
    )
)


def assessments_csv(where: ColumnElement[bool]) -> str:
    """Every assessment matching ``where``, oldest first, revocations alongside (the record stays whole)."""
    trainee, assessor, revoker = aliased(User), aliased(User), aliased(User)
    # Plain columns through the connection: no ORM entities or identity map for thousands of rows.
    rows = db.session.connection().execute(
        select(
            Assessment.id,
            Assessment.created_at,
            trainee.name,
            trainee.login,
            Assessment.competency,
            Assessment.evidence_kind,
            Assessment.level,
            Assessment.suggested_level,
            Assessment.observed_on,
            assessor.name,
            Assessment.cohort_id,
            Assessment.workshop_id,
            Assessment.language,
            Assessment.content_revision,
            Assessment.checklist,
            Assessment.note,
            Revocation.created_at,
            revoker.name,
            Revocation.reason,
        )
        .outerjoin(trainee, trainee.id == Assessment.trainee_id)
        .join(assessor, assessor.id == Assessment.assessor_id)
        .outerjoin(Revocation, Revocation.assessment_id == Assessment.id)
        .outerjoin(revoker, revoker.id == Revocation.revoked_by_id)
        .where(where)
        .order_by(Assessment.created_at, Assessment.id)
    )
    return csv_text(
        HEADER,
        (
            [
                aid,
                created.isoformat(),
                name or "",
                login or "",
                competency,
                kind,
                level,
                suggested,
                observed.isoformat(),
                assessor_name,
                cohort_id,
                workshop_id,
                language,
                content_revision,
                " ".join(checklist or []),
                note,
                revoked_at.isoformat() if revoked_at else "",
                revoked_by or "",
                reason or "",
            ]
            for (
                aid,
                created,
                name,
                login,
                competency,
                kind,
                level,
                suggested,
                observed,
                assessor_name,
                cohort_id,
                workshop_id,
                language,
                content_revision,
                checklist,
                note,
                revoked_at,
                revoked_by,
                reason,
            ) in rows
        ),
        plain_columns=PLAIN,
    )
