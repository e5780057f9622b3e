"""Cohorts: finding them (as permitted), creating and editing them, enrolling trainees, join codes."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Role, TokenPurpose, User
from ..accounts.passwords import verify_password
from ..accounts.services import create_user, find_by_login, issue_token
from ..audit import record
from ..concurrency import insert_or_existing, lock_row
from ..errors import InvalidInput, NotFoundError
from ..extensions import db
from ..models_base import utcnow
from ..permissions import may_create_cohort, may_manage_cohort, may_run_cohort
from ..permissions import visible_cohorts as visible_cohorts_query
from ..textcheck import clean_name, name_problem
from .models import Cohort, Enrolment

# No 0/O or 1/I/L: codes are read aloud and copied from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def visible_cohorts(user: User) -> list[Cohort]:
    """The cohorts list: whichever the user may see (``permissions.visible_cohorts``)."""
    return list(db.session.scalars(visible_cohorts_query(user)))


def cohort_for(user: User, cohort_id: int, *, manage: bool = False) -> Cohort:
    """The cohort if the user may run (or manage) it; NotFoundError otherwise, whether or not it exists."""
    cohort = db.session.get(Cohort, cohort_id)
    allowed = may_manage_cohort if manage else may_run_cohort
    if cohort is None or not allowed(user, cohort):
        raise NotFoundError("no such cohort")
    return cohort


def trainee_in(user: User, cohort: Cohort, trainee_id: int) -> User:
    """A trainee enrolled in a cohort the user runs; NotFoundError otherwise."""
    enrolment = db.session.get(Enrolment, (cohort.id, trainee_id))
    if enrolment is None or not may_run_cohort(user, cohort):
        raise NotFoundError("no such trainee")
    return enrolment.user


def new_join_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if db.session.scalar(select(Cohort.id).where(Cohort.join_code == code)) is None:
            return code


def _validate(name: str, language: str, languages: tuple[str, ...], start: date | None, end: date | None) -> str:
    name = clean_name(name)
    if not name:
        raise InvalidInput("name", _l("Enter a name."))
    if problem := name_problem(name):
        raise InvalidInput("name", problem)
    if language not in languages:
        raise InvalidInput("language", _l("Choose one of the site's languages."))
    if start and end and end < start:
        raise InvalidInput("end_date", _l("The end date is before the start date."))
    return name


def _trainers(site_id: str, trainer_ids: list[int]) -> list[User]:
    if not trainer_ids:
        return []
    trainers = list(db.session.scalars(select(User).where(User.id.in_(trainer_ids))))
    for trainer in trainers:
        if trainer.role not in (Role.TRAINER, Role.COORDINATOR) or trainer.site_id != site_id:
            raise InvalidInput("trainers", _l("Trainers must be trainers at this site."))
    if len(trainers) != len(set(trainer_ids)):
        raise InvalidInput("trainers", _l("Trainers must be trainers at this site."))
    return trainers


def create_cohort(
    actor: User,
    *,
    site_id: str,
    name: str,
    language: str,
    languages: tuple[str, ...],
    start_date: date | None = None,
    end_date: date | None = None,
    trainer_ids: list[int] | None = None,
    now: datetime | None = None,
) -> Cohort:
    if not may_create_cohort(actor, site_id):
        raise NotFoundError("not allowed")
    name = _validate(name, language, languages, start_date, end_date)
    cohort = Cohort(
        site_id=site_id,
        name=name,
        language=language,
        start_date=start_date,
        end_date=end_date,
        join_code=new_join_code(),
        created_at=now or utcnow(),
    )
    cohort.trainers = _trainers(site_id, trainer_ids or [])
    db.session.add(cohort)
    db.session.flush()
    record(actor, "cohort.create", "cohort", cohort.id, site_id, now=now, name=name)
    return cohort


def update_cohort(
    actor: User,
    cohort: Cohort,
    *,
    name: str,
    language: str,
    languages: tuple[str, ...],
    start_date: date | None,
    end_date: date | None,
    trainer_ids: list[int],
    archived: bool = False,
    now: datetime | None = None,
) -> None:
    if not may_manage_cohort(actor, cohort):
        raise NotFoundError("not allowed")
    cohort.name = _validate(name, language, languages, start_date, end_date)
    cohort.language, cohort.start_date, cohort.end_date = language, start_date, end_date
    cohort.trainers = _trainers(cohort.site_id, trainer_ids)
    cohort.archived = archived
    record(actor, "cohort.update", "cohort", cohort.id, cohort.site_id, now=now)


def regenerate_code(actor: User, cohort: Cohort, now: datetime | None = None) -> str:
    if not may_run_cohort(actor, cohort):
        raise NotFoundError("not allowed")
    cohort.join_code = new_join_code()
    record(actor, "cohort.new_code", "cohort", cohort.id, cohort.site_id, now=now)
    return cohort.join_code


def enrol(actor: User | None, cohort: Cohort, trainee: User, now: datetime | None = None) -> Enrolment:
    """Put an existing account in a cohort (idempotent). ``actor`` None: the trainee joined with the code."""
    if actor is not None and not may_manage_cohort(actor, cohort):
        raise NotFoundError("not allowed")
    return _enrol(actor, cohort, trainee, now)


def _enrol(actor: User | None, cohort: Cohort, trainee: User, now: datetime | None) -> Enrolment:
    if trainee.role != Role.TRAINEE or trainee.site_id != cohort.site_id:
        raise InvalidInput("trainee", _l("Only trainees of this site can join this cohort."))
    existing = db.session.get(Enrolment, (cohort.id, trainee.id))
    if existing is not None:
        return existing
    enrolment = Enrolment(
        cohort_id=cohort.id, user_id=trainee.id, enrolled_at=now or utcnow(), enrolled_by_id=getattr(actor, "id", None)
    )
    enrolment, inserted = insert_or_existing(enrolment, lambda: db.session.get(Enrolment, (cohort.id, trainee.id)))
    if not inserted:  # a double submission raced us: the enrolment exists
        return enrolment
    record(
        actor or trainee,
        "cohort.enrol",
        "cohort",
        cohort.id,
        cohort.site_id,
        now=now,
        trainee=trainee.id,
        via="code" if actor is None else "trainer",
    )
    return enrolment


def unenrol(actor: User, cohort: Cohort, trainee: User, now: datetime | None = None) -> None:
    """Take a trainee out of a cohort; their own records (progress, reflections) stay with them."""
    if not may_run_cohort(actor, cohort):
        raise NotFoundError("not allowed")
    enrolment = db.session.get(Enrolment, (cohort.id, trainee.id))
    if enrolment is not None:
        db.session.delete(enrolment)
        record(actor, "cohort.unenrol", "cohort", cohort.id, cohort.site_id, now=now, trainee=trainee.id)


def cohort_by_code(code: str) -> Cohort | None:
    code = "".join((code or "").split()).upper()
    if not code:
        return None
    cohort = db.session.scalar(select(Cohort).where(Cohort.join_code == code))
    return cohort if cohort is not None and not cohort.archived else None


def join_with_code(trainee: User, code: str, now: datetime | None = None) -> Cohort:
    cohort = cohort_by_code(code)
    if cohort is None:
        raise InvalidInput("code", _l("No open cohort has this code. Check it with your trainer."))
    enrol(None, cohort, trainee, now=now)
    return cohort


DOUBLE_TAP_WINDOW = timedelta(minutes=10)


def join_as_newcomer(
    code: str,
    *,
    name: str,
    login: str,
    password: str,
    now: datetime | None = None,
) -> tuple[User, Cohort]:
    """Someone without an account joins with a cohort code: make their trainee account and enrol it.

    The same form sent twice (a double tap) gives the same account: an account made
    with this code minutes ago, whose password the form also knows, is the sender's."""
    now = now or utcnow()
    cohort = cohort_by_code(code)
    if cohort is None:
        raise InvalidInput("code", _l("No open cohort has this code. Check it with your trainer."))
    login = (login or "").strip().lower()
    lock_row(Cohort, cohort.id)
    existing = find_by_login(login)
    if (
        existing is not None
        and existing.role == Role.TRAINEE
        and existing.created_at > now - DOUBLE_TAP_WINDOW
        and db.session.get(Enrolment, (cohort.id, existing.id)) is not None
        and verify_password(existing.password_hash, password)
    ):
        return existing, cohort
    person, _secret = create_user(
        None,
        name=name,
        role=Role.TRAINEE,
        site_id=cohort.site_id,
        login=login,
        email=login if "@" in login else None,
        language=cohort.language,
        password=password,
        now=now,
        via="code",
    )
    enrol(None, cohort, person, now=now)
    return person, cohort


def add_trainee(
    actor: User,
    cohort: Cohort,
    *,
    name: str,
    email: str | None,
    login: str | None,
    language: str | None = None,
    now: datetime | None = None,
) -> tuple[User, str | None]:
    """Create a trainee account in the cohort's site and enrol it; returns the one-time link secret."""
    if not may_run_cohort(actor, cohort):
        raise NotFoundError("not allowed")
    # The same form sent twice must not make two accounts (names make usernames, so
    # the second would get another one): the trainee just added is the same person,
    # and gets a fresh link (the older one stops working; the page shows the new one).
    lock_row(Cohort, cohort.id)
    clean = clean_name(name)
    recent = db.session.scalar(
        select(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(
            Enrolment.cohort_id == cohort.id,
            Enrolment.enrolled_by_id == actor.id,
            User.name == clean,
            User.role == Role.TRAINEE,
            User.created_at > (now or utcnow()) - DOUBLE_TAP_WINDOW,
            User.password_hash.is_(None),
        )
    )
    if recent is not None and (not login or recent.login == login.strip().lower()):
        return recent, issue_token(actor, recent, TokenPurpose.INVITE, now=now)
    user, secret = create_user(
        actor,
        name=name,
        role=Role.TRAINEE,
        site_id=cohort.site_id,
        email=email,
        login=login,
        language=language or cohort.language,
        now=now,
    )
    _enrol(actor, cohort, user, now)  # the cohort's trainers may enrol the accounts they create
    return user, secret


def trainees_of(cohort: Cohort) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Enrolment, Enrolment.user_id == User.id)
            .where(Enrolment.cohort_id == cohort.id)
            .order_by(User.name)
        )
    )


def enrollable_trainees(cohort: Cohort) -> list[User]:
    """Active trainees of the cohort's site who are not in it yet: whom its coordinators may enrol."""
    in_cohort = select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)
    return list(
        db.session.scalars(
            select(User)
            .where(User.site_id == cohort.site_id, User.role == Role.TRAINEE, User.active, User.id.not_in(in_cohort))
            .order_by(User.name)
        )
    )


def site_staff(site_id: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.site_id == site_id, User.role.in_([Role.TRAINER, Role.COORDINATOR]), User.active)
            .order_by(User.name)
        )
    )
