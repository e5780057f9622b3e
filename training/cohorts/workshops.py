"""Workshops of a cohort and who attended them."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ..accounts.models import User
from ..audit import record
from ..concurrency import lock_row
from ..curriculum import CurriculumStore
from ..errors import InvalidInput, NotFoundError
from ..extensions import db
from ..models_base import utcnow
from ..permissions import may_run_cohort
from ..textcheck import clean_name
from .models import Attendance, Cohort, Workshop
from .services import trainees_of


def workshops_of(cohort: Cohort) -> list[Workshop]:
    return list(
        db.session.scalars(
            select(Workshop)
            .where(Workshop.cohort_id == cohort.id)
            .order_by(Workshop.held_on.desc(), Workshop.id.desc())
        )
    )


def add_workshop(
    actor: User,
    store: CurriculumStore,
    cohort: Cohort,
    *,
    title: str,
    held_on: date | None,
    place: str,
    modules: list[str],
    now: datetime | None = None,
) -> Workshop:
    if not may_run_cohort(actor, cohort):
        raise NotFoundError("not allowed")
    title = clean_name(title)
    if not title:
        raise InvalidInput("title", _l("Enter a title."))
    if held_on is None:
        raise InvalidInput("held_on", _l("Enter the date."))
    unknown = set(modules) - set(store.meta().modules)
    if unknown:
        raise InvalidInput("modules", _l("Choose modules from the curriculum."))
    # A double tap must not make two workshops: the same title on the same day is the same one.
    lock_row(Cohort, cohort.id)
    same = db.session.scalar(
        select(Workshop).where(
            Workshop.cohort_id == cohort.id, Workshop.title == title[:200], Workshop.held_on == held_on
        )
    )
    if same is not None:
        return same
    workshop = Workshop(
        cohort_id=cohort.id,
        title=title[:200],
        held_on=held_on,
        place=(place or "").strip()[:200],
        modules=list(modules),
        created_at=now or utcnow(),
    )
    db.session.add(workshop)
    db.session.flush()
    record(actor, "workshop.add", "workshop", workshop.id, cohort.site_id, now=now, title=workshop.title)
    return workshop


def workshop_for(actor: User, cohort: Cohort, workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None or workshop.cohort_id != cohort.id or not may_run_cohort(actor, cohort):
        raise NotFoundError("no such workshop")
    return workshop


def present_ids(workshop: Workshop) -> set[int]:
    return set(db.session.scalars(select(Attendance.user_id).where(Attendance.workshop_id == workshop.id)))


def set_attendance(
    actor: User, cohort: Cohort, workshop: Workshop, present: set[int], now: datetime | None = None
) -> None:
    """Replace the register of a workshop for the cohort's current trainees with those ticked present.

    Marks of people who have left the cohort since stay as they were: the form no longer lists them."""
    enrolled = {t.id for t in trainees_of(cohort)}
    if not present <= enrolled:
        raise InvalidInput("present", _l("Only trainees of this cohort can be marked present."))
    # Two people saving the same register at once: the second waits for the first (PostgreSQL row lock).
    db.session.execute(select(Workshop.id).where(Workshop.id == workshop.id).with_for_update())
    db.session.execute(
        delete(Attendance).where(Attendance.workshop_id == workshop.id, Attendance.user_id.in_(enrolled))
    )
    for user_id in sorted(present):
        db.session.add(
            Attendance(workshop_id=workshop.id, user_id=user_id, recorded_by_id=actor.id, recorded_at=now or utcnow())
        )
    record(actor, "workshop.attendance", "workshop", workshop.id, cohort.site_id, now=now, present=len(present))
