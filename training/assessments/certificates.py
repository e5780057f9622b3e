"""Certificates: issued by a coordinator when every competency is achieved; verifiable by anyone."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import User
from ..audit import record
from ..cohorts.models import Cohort, Enrolment
from ..concurrency import lock_row
from ..dates import local_date
from ..errors import InvalidInput, NotFoundError
from ..extensions import db
from ..models_base import utcnow
from ..permissions import may_issue_certificate, may_print_certificate, may_revoke_certificate
from .models import Certificate
from .services import reason_text
from .status import CompetencyStatus, all_achieved

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    """12 characters from a 31-letter alphabet (~59 bits): unguessable, easy to read out."""
    while True:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
        code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        if db.session.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            return code


def trainers_of_trainee(trainee: User) -> list[User]:
    cohorts = db.session.scalars(
        select(Cohort).join(Enrolment, Enrolment.cohort_id == Cohort.id).where(Enrolment.user_id == trainee.id)
    )
    seen: dict[int, User] = {}
    for cohort in cohorts:
        for trainer in cohort.trainers:
            seen.setdefault(trainer.id, trainer)
    return sorted(seen.values(), key=lambda u: u.name)


def issue_certificate(
    actor: User,
    trainee: User,
    record_: list[CompetencyStatus],
    *,
    trainer_id: int,
    language: str,
    now: datetime | None = None,
) -> Certificate:
    now = now or utcnow()
    if not may_issue_certificate(actor, trainee):
        raise NotFoundError("not allowed")
    if not all_achieved(record_):
        raise InvalidInput("trainee", _l("Every competency must be achieved before a certificate is issued."))
    trainer = next((t for t in trainers_of_trainee(trainee) if t.id == trainer_id), None)
    if trainer is None:
        raise InvalidInput("trainer", _l("Choose one of the trainee's trainers."))
    competencies = [s.competency.id for s in record_]
    basis = sorted(i for s in record_ for i in s.basis)
    # Issuing twice on the same evidence (a double tap) gives the one certificate.
    lock_row(User, trainee.id)
    same = db.session.scalar(
        select(Certificate)
        .where(Certificate.trainee_id == trainee.id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.issued_at.desc())
    )
    if same is not None and same.basis == basis and same.competencies == competencies:
        return same
    certificate = Certificate(
        code=new_code(),
        trainee_id=trainee.id,
        site_id=trainee.site_id,
        language=language,
        trainee_name=trainee.name,
        issued_at=now,
        issued_by_id=actor.id,
        trainer_id=trainer.id,
        competencies=competencies,
        basis=basis,
    )
    db.session.add(certificate)
    db.session.flush()
    record(
        actor,
        "certificate.issue",
        "certificate",
        certificate.id,
        certificate.site_id,
        now=now,
        trainee=trainee.id,
        code=certificate.code,
    )
    return certificate


def revoke_certificate(actor: User, certificate: Certificate, reason: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    if not may_revoke_certificate(actor, certificate):
        raise NotFoundError("not allowed")
    reason = reason_text(reason)
    lock_row(Certificate, certificate.id)
    db.session.refresh(certificate)  # as the request before us (a double tap) left it
    if certificate.revoked_at is not None:
        if certificate.revoked_by_id == actor.id and certificate.revoke_reason == reason:
            return  # the same form sent twice: revoked once
        raise InvalidInput("reason", _l("This certificate was revoked already."))
    certificate.revoked_at, certificate.revoked_by_id, certificate.revoke_reason = now, actor.id, reason
    certificate.needs_review = False
    record(actor, "certificate.revoke", "certificate", certificate.id, certificate.site_id, now=now, reason=reason)


def confirm_certificate(actor: User, certificate: Certificate, note: str, now: datetime | None = None) -> None:
    """After review: the certificate stands although an assessment behind it was revoked."""
    if not may_revoke_certificate(actor, certificate):
        raise NotFoundError("not allowed")
    note = reason_text(note)
    certificate.needs_review = False
    record(actor, "certificate.confirm", "certificate", certificate.id, certificate.site_id, now=now, note=note)


def normalise_code(typed: str) -> str | None:
    """A code as stored (XXXX-XXXX-XXXX) from however it was typed: any case, spaces, dashes or none."""
    # Letters and digits only: spaces, hyphens, en dashes and underscores are how people group it.
    # The alphabet has no O/0 or I/1/L, so confusables need no mapping: they cannot be in a code.
    raw = "".join(ch for ch in (typed or "")[:64].upper() if ch.isascii() and ch.isalnum())
    if len(raw) != 12:
        return None
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def by_code(code: str) -> Certificate | None:
    normal = normalise_code(code)
    if normal is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == normal))


def issue_date(certificate: Certificate, timezone: str | None) -> date:
    """The date a certificate bears, on the PDF and the public page alike: where its site is."""
    return local_date(certificate.issued_at, timezone)


def printable_certificate(actor: User, certificate_id: int) -> Certificate:
    """A certificate the actor may print (``may_print_certificate``); NotFoundError otherwise."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not may_print_certificate(actor, certificate):
        raise NotFoundError("no such certificate")
    return certificate


def revocable_certificate(actor: User, certificate_id: int) -> Certificate:
    """A certificate the actor may revoke or confirm; NotFoundError otherwise."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not may_revoke_certificate(actor, certificate):
        raise NotFoundError("no such certificate")
    return certificate
