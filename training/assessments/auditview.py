"""The audit log in words a coordinator reads: translated event names and labelled details.

Events are stored with stable codes (``assessment.record``, ``level=2``) so that
they can be filtered and compared across languages; this module turns them
into "Assessment recorded" and "Level: 2 Competent" for the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from .levels import EVIDENCE_NAMES, LEVEL_NAMES

ACTION_NAMES = {
    "assessment.record": _l("Assessment recorded"),
    "assessment.import": _l("Assessments imported from a sheet"),
    "assessment.revoke": _l("Assessment revoked"),
    "safety_flag.raise": _l("Safety flag raised"),
    "safety_flag.close": _l("Safety flag closed"),
    "certificate.issue": _l("Certificate issued"),
    "certificate.revoke": _l("Certificate revoked"),
    "certificate.flag_review": _l("Certificate to review"),
    "certificate.confirm": _l("Certificate confirmed after review"),
}
DETAIL_NAMES = {
    "competency": _l("Competency"),
    "evidence_kind": _l("Kind of evidence"),
    "level": _l("Level"),
    "reason": _l("Reason"),
    "note": _l("Note"),
    "code": _l("Verification code"),
    "rows": _l("Lines imported"),
}
# Shown elsewhere on the row (trainee) or only useful to a developer (ids, file hashes).
HIDDEN = {"trainee", "assessment", "file"}


def action_name(action: str) -> str:
    """The event's name in the reader's language; the code itself for an event this version does not know."""
    name = ACTION_NAMES.get(action)
    return str(name) if name is not None else action


def detail_items(details: Mapping[str, Any], competency_title: Callable[[str], str]) -> list[tuple[str, str]]:
    """(label, value) pairs for an event's details, values in words (evidence kinds, level names, titles)."""
    items = []
    for key, value in details.items():
        if key in HIDDEN or value in (None, ""):
            continue
        if key == "evidence_kind":
            value = EVIDENCE_NAMES.get(value, value)
        elif key == "level" and value in LEVEL_NAMES:
            value = f"{value} {LEVEL_NAMES[value]}"
        elif key == "competency":
            title = competency_title(str(value))
            value = f"{value} {title}" if title else value
        items.append((str(DETAIL_NAMES.get(key, key)), str(value)))
    return items
