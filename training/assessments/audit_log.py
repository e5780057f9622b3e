"""The audit view's query: assessment, safety-flag and certificate events, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..audit import AuditEvent
from ..extensions import db
from ..permissions import oversees_every_site

ACTIONS = (
    "assessment.record",
    "assessment.revoke",
    "safety_flag.raise",
    "safety_flag.close",
    "certificate.issue",
    "certificate.revoke",
    "certificate.flag_review",
    "certificate.confirm",
)
LIMIT = 500


@dataclass(frozen=True)
class AuditFilter:
    site: str | None = None
    action: str = ""
    actor_id: int | None = None
    day_from: date | None = None
    day_to: date | None = None  # includes the whole day it names


def scoped(viewer: User, wanted: AuditFilter) -> AuditFilter:
    """Coordinators see their own site only, whatever the filter asks for."""
    if oversees_every_site(viewer):
        return wanted
    return AuditFilter(viewer.site_id, wanted.action, wanted.actor_id, wanted.day_from, wanted.day_to)


def events(viewer: User, wanted: AuditFilter) -> tuple[list[AuditEvent], dict[int, User]]:
    """The newest matching events (at most LIMIT) and the people they name."""
    wanted = scoped(viewer, wanted)
    query = select(AuditEvent).where(
        AuditEvent.action.like("assessment.%")
        | AuditEvent.action.like("safety_flag.%")
        | AuditEvent.action.like("certificate.%")
    )
    if wanted.site:
        query = query.where(AuditEvent.site_id == wanted.site)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.actor_id is not None and 0 < wanted.actor_id < 2**31:
        query = query.where(AuditEvent.actor_id == wanted.actor_id)
    if wanted.day_from is not None:
        query = query.where(AuditEvent.at >= _start_of(wanted.day_from))
    if wanted.day_to is not None:
        query = query.where(AuditEvent.at < _start_of(wanted.day_to) + timedelta(days=1))
    found = list(db.session.scalars(query.order_by(AuditEvent.at.desc()).limit(LIMIT)))
    ids = {e.actor_id for e in found if e.actor_id} | {
        e.details.get("trainee") for e in found if isinstance(e.details.get("trainee"), int)
    }
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return found, people


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
