"""'Download my data': everything PeerPath holds about a person, as JSON or CSV.

The accounts area knows only the profile. Every area that keeps records about a person
provides a section (in its ``personal_data`` module), and ``create_app`` registers each one
here with ``register_personal_data``: the list is in one place, not spread over import
side effects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from ..csvutil import csv_text
from ..curriculum import CurriculumStore
from .models import User

Section = Callable[[User, CurriculumStore], list[dict[str, Any]]]
EXTENSION = "personal_data"


def register_personal_data(app: Flask, name: str, provider: Section) -> None:
    """Add the section ``name`` to every person's data download, filled by ``provider``."""
    app.extensions.setdefault(EXTENSION, {})[name] = provider


def sections_of(app: Flask) -> Mapping[str, Section]:
    return app.extensions.get(EXTENSION, {})


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def collect(user: User, store: CurriculumStore, sections: Mapping[str, Section]) -> dict[str, Any]:
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
    for name, section in sections.items():
        data[name] = [{k: _iso(v) for k, v in row.items()} for row in section(user, store)]
    return data


def export_json(user: User, store: CurriculumStore, sections: Mapping[str, Section]) -> str:
    return json.dumps(collect(user, store, sections), ensure_ascii=False, indent=2)


def export_csv(user: User, store: CurriculumStore, sections: Mapping[str, Section]) -> str:
    """One row per field: the kind of record, the field, the value."""
    data = collect(user, store, sections)
    rows = [["profile", key, value] for key, value in data["profile"].items()]
    for name, records in data.items():
        if name != "profile":
            rows += [
                [f"{name}[{index}]", key, value]
                for index, row in enumerate(records, start=1)
                for key, value in row.items()
            ]
    return csv_text(["record", "field", "value"], rows)
