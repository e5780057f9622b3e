"""A trainee's own learning records: sections done and private reflections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class SectionProgress(db.Model):
    """A section marked done. Keyed by module slug and section id, never by language or position."""

    __tablename__ = "section_progress"
    __table_args__ = (UniqueConstraint("user_id", "module", "section"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module: Mapped[str] = mapped_column(String(100))
    section: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    language: Mapped[str] = mapped_column(String(16))  # the language it was read in
    revision: Mapped[str] = mapped_column(String(16))  # the content revision it was read in


class Reflection(db.Model):
    """A private journal entry for a module (prompt '') or one of its reflection prompts."""

    __tablename__ = "reflections"
    __table_args__ = (UniqueConstraint("user_id", "module", "prompt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module: Mapped[str] = mapped_column(String(100))
    prompt: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)  # shared with the trainee's trainers
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
