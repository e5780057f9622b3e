"""'Download my data': everything PeerPath holds about a person, as JSON or CSV.

Other areas add their records by registering a section with ``exporter``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from ..csvutil import csv_text
from ..curriculum import CurriculumStore
from ..extensions import db
from .models import User

Section = Callable[[User, CurriculumStore], list[dict[str, Any]]]
_SECTIONS: dict[str, Section] = {}


def exporter(name: str) -> Callable[[Section], Section]:
    def register(fn: Section) -> Section:
        _SECTIONS[name] = fn
        return fn

    return register


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def collect(user: User, store: CurriculumStore) -> dict[str, Any]:
    profile = {
        "id": user.id,
        "login": user.login,
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "site": user.site_id,
        "language": user.language,
        "created_at": _iso(user.created_at),
        "last_login_at": _iso(user.last_login_at),
    }
    data: dict[str, Any] = {"profile": profile}
    for name, section in _SECTIONS.items():
        data[name] = [{k: _iso(v) for k, v in row.items()} for row in section(user, store)]
    return data


def export_json(user: User, store: CurriculumStore) -> str:
    return json.dumps(collect(user, store), ensure_ascii=False, indent=2)


def export_csv(user: User, store: CurriculumStore) -> str:
    """One row per field: the kind of record, the field, the value."""
    data = collect(user, store)
    rows = [["profile", key, value] for key, value in data["profile"].items()]
    for name, records in data.items():
        if name != "profile":
            rows += [
                [f"{name}[{index}]", key, value]
                for index, row in enumerate(records, start=1)
                for key, value in row.items()
            ]
    return csv_text(["record", "field", "value"], rows)


@exporter("cohorts")
def _cohorts(user: User, store: CurriculumStore) -> list[dict[str, Any]]:
    from ..cohorts.models import Cohort, Enrolment

    rows = db.session.execute(
        select(Cohort.name, Cohort.site_id, Cohort.language, Enrolment.enrolled_at)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.user_id == user.id)
    )
    return [{"cohort": n, "site": s, "language": lang, "enrolled_at": at} for n, s, lang, at in rows]


@exporter("progress")
def _progress(user: User, store: CurriculumStore) -> list[dict[str, Any]]:
    from ..learning.models import SectionProgress

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


@exporter("reflections")
def _reflections(user: User, store: CurriculumStore) -> list[dict[str, Any]]:
    from ..learning.models import Reflection

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
