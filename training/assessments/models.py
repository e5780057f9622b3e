"""Assessment records. Assessments and revocations are append-only events: never edited, never deleted.

The database enforces that too (triggers on SQLite and PostgreSQL), so the
record stays trustworthy whatever code runs against it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..models_base import UTCDateTime, utcnow

EVIDENCE_KINDS = ("knowledge", "skill", "practice")
LEVELS = (0, 1, 2, 3)  # potentially harmful, not yet competent, competent, advanced
ACHIEVED_LEVEL = 2


class Assessment(db.Model):
    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 3", name="level_range"),
        CheckConstraint("evidence_kind IN ('knowledge', 'skill', 'practice')", name="evidence_kind"),
        CheckConstraint("assessor_id <> trainee_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="RESTRICT"), index=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id", ondelete="SET NULL"))
    competency: Mapped[str] = mapped_column(String(16), index=True)
    evidence_kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    suggested_level: Mapped[int | None] = mapped_column(Integer)
    checklist: Mapped[list[str]] = mapped_column(JSON, default=list)  # ids of the behaviours observed
    observed_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16))  # the language the trainee was assessed in
    content_revision: Mapped[str] = mapped_column(String(16))  # linked modules + framework, as assessed
    safety_revision: Mapped[str] = mapped_column(String(16), default="")  # safety-critical sections, as assessed
    submission_id: Mapped[str] = mapped_column(String(64), unique=True)  # one record per form, however often sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id], lazy="joined")
    revocation: Mapped[Revocation | None] = relationship(back_populates="assessment", lazy="joined", uselist=False)

    @property
    def valid(self) -> bool:
        return self.revocation is None


class Revocation(db.Model):
    """Withdraws one assessment, with a reason. The assessment itself stays in the history."""

    __tablename__ = "assessment_revocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="RESTRICT"), unique=True)
    revoked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="revocation")
    revoked_by: Mapped[User] = relationship(lazy="joined")


class SafetyFlag(db.Model):
    """Raised by a level-0 rating; closed with a note once a later assessment is at level 1 or above."""

    __tablename__ = "safety_flags"
    # At most one open flag per trainee and competency, whatever runs at the same time.
    __table_args__ = (
        Index(
            "uq_safety_flags_open",
            "trainee_id",
            "competency",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    competency: Mapped[str] = mapped_column(String(16))
    raised_by_assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="RESTRICT"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    close_note: Mapped[str | None] = mapped_column(Text)
    closing_assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id", ondelete="RESTRICT"))

    @property
    def open(self) -> bool:
        return self.closed_at is None


class Certificate(db.Model):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(16))
    trainee_name: Mapped[str] = mapped_column(String(200))  # as printed, even if the account is renamed later
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))  # the coordinator
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))  # the issuing trainer
    competencies: Mapped[list[str]] = mapped_column(JSON)
    basis: Mapped[list[int]] = mapped_column(JSON)  # the assessment ids the achievement rested on
    needs_review: Mapped[bool] = mapped_column(default=False)
    review_reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id], lazy="joined")
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id], lazy="joined")
    trainer: Mapped[User] = relationship(foreign_keys=[trainer_id], lazy="joined")

    @property
    def valid(self) -> bool:
        return self.revoked_at is None


# Append-only at the database level. Created with the tables (create_all) and in the migration.
APPEND_ONLY = ("assessments", "assessment_revocations")


def _sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: record a revocation instead'); END"
        for op in ("UPDATE", "DELETE")
    ]


def _postgres_triggers(table: str) -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION peerpath_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION '% are append-only: record a revocation instead', TG_TABLE_NAME; END $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION peerpath_append_only()",
    ]


def append_only_statements(dialect: str, table: str) -> list[str]:
    if dialect == "sqlite":
        return _sqlite_triggers(table)
    if dialect == "postgresql":
        return _postgres_triggers(table)
    return []


for _table_name in APPEND_ONLY:
    _table = db.metadata.tables[_table_name]
    for _dialect in ("sqlite", "postgresql"):
        for _statement in append_only_statements(_dialect, _table_name):
            # DDL() formats the statement with %-placeholders of its own: double any literal %.
            event.listen(_table, "after_create", DDL(_statement.replace("%", "%%")).execute_if(dialect=_dialect))
