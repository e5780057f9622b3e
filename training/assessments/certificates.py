"""Certificates: issued by a coordinator when every competency is achieved; verifiable by anyone."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import User
from ..audit import record
from ..cohorts.models import Cohort, Enrolment
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
    certificate = Certificate(
        code=new_code(),
        trainee_id=trainee.id,
        site_id=trainee.site_id,
        language=language,
        trainee_name=trainee.name,
        issued_at=now,
        issued_by_id=actor.id,
        trainer_id=trainer.id,
        competencies=[s.competency.id for s in record_],
        basis=sorted(i for s in record_ for i in s.basis),
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
    if certificate.revoked_at is not None:
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


def by_code(code: str) -> Certificate | None:
    code = (code or "").strip().upper()
    if len(code) > 32:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


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
