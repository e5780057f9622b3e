"""A manual build: one row per distinct manual (cache key), shared by everyone who asks for it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from .options import ManualOptions


class BuildStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ManualBuild(db.Model):
    __tablename__ = "manual_builds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Hash of every input: two requests for the same manual find the same row.
    cache_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[str | None] = mapped_column(String(64), index=True)
    modules: Mapped[str] = mapped_column(String(1000), default="")  # comma-separated slugs; empty: all
    paper: Mapped[str] = mapped_column(String(8))
    status: Mapped[BuildStatus] = mapped_column(
        Enum(BuildStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=BuildStatus.QUEUED,
    )
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0–100
    error: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(200))  # inside MANUAL_CACHE_DIR
    pages: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def options(self) -> ManualOptions:
        return ManualOptions(
            kind=self.kind,  # type: ignore[arg-type]
            lang=self.lang,
            site=self.site_id,
            modules=tuple(m for m in self.modules.split(",") if m),
            paper=self.paper,  # type: ignore[arg-type]
        )

    @property
    def active(self) -> bool:
        return self.status in (BuildStatus.QUEUED, BuildStatus.RUNNING)

    def __repr__(self) -> str:
        return f"<ManualBuild {self.id} {self.kind} {self.lang} {self.status.value} {self.progress}%>"
