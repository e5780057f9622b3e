"""The progress and reflections sections of 'download my data' (registered by create_app)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..accounts.models import User
from ..curriculum import CurriculumStore
from ..extensions import db
from .models import Reflection, SectionProgress


def progress_of(user: User, store: CurriculumStore) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(SectionProgress).where(SectionProgress.user_id == user.id).order_by(SectionProgress.completed_at)
    )
    return [
        {
            "module": r.module,
            "section": r.section,
            "completed_at": r.completed_at,
            "language": r.language,
            "content_revision": r.revision,
        }
        for r in rows
    ]


def reflections_of(user: User, store: CurriculumStore) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Reflection).where(Reflection.user_id == user.id).order_by(Reflection.created_at))
    return [
        {
            "module": r.module,
            "prompt": r.prompt,
            "text": r.body,
            "shared_with_trainers": r.shared,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
        }
        for r in rows
    ]
