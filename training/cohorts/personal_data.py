"""The cohorts section of 'download my data' (registered by create_app)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..accounts.models import User
from ..curriculum import CurriculumStore
from ..extensions import db
from .models import Cohort, Enrolment


def cohorts_of(user: User, store: CurriculumStore) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Cohort.name, Cohort.site_id, Cohort.language, Enrolment.enrolled_at)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.user_id == user.id)
    )
    return [{"cohort": n, "site": s, "language": lang, "enrolled_at": at} for n, s, lang, at in rows]
