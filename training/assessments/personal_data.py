"""The assessments and certificates sections of 'download my data' (registered by create_app)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..accounts.models import User
from ..curriculum import CurriculumStore
from ..extensions import db
from .models import Assessment, Certificate


def assessments_of(user: User, store: CurriculumStore) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Assessment).where(Assessment.trainee_id == user.id).order_by(Assessment.created_at)
    ).unique()
    return [
        {
            "competency": a.competency,
            "evidence_kind": a.evidence_kind,
            "level": a.level,
            "observed_on": a.observed_on,
            "assessor": a.assessor.name,
            "note": a.note,
            "recorded_at": a.created_at,
            "language": a.language,
            "revoked_at": a.revocation.created_at if a.revocation else None,
            "revocation_reason": a.revocation.reason if a.revocation else None,
        }
        for a in rows
    ]


def certificates_of(user: User, store: CurriculumStore) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Certificate).where(Certificate.trainee_id == user.id))
    return [{"code": c.code, "issued_at": c.issued_at, "revoked_at": c.revoked_at, "site": c.site_id} for c in rows]
