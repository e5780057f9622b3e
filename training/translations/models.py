"""Who translates which language, and the append-only history of review steps per module and language.

The Markdown files hold the translations themselves; these tables hold who may
work on them and who did which review step when, for which source revision.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class TranslatorGrant(db.Model):
    """A person may translate (and review) one language, optionally only one site's overlays."""

    __tablename__ = "translator_grants"
    __table_args__ = (Index("ix_translator_grants_user_lang", "user_id", "lang"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[str | None] = mapped_column(String(64))  # set: only that site's overlays
    may_approve: Mapped[bool] = mapped_column(Boolean, default=False)  # the last review step
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class TranslationStep(db.Model):
    """One review step done: for a module (or 'competencies') in a language, at a source revision."""

    __tablename__ = "translation_steps"
    __table_args__ = (Index("ix_translation_steps_item", "name", "lang", "source_revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))  # module slug or "competencies"
    lang: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(32))
    source_revision: Mapped[str] = mapped_column(String(16))  # the source the translation now matches
    file_revision: Mapped[str] = mapped_column(String(16))  # the translation file that was reviewed
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attachment_name: Mapped[str | None] = mapped_column(String(200))  # a back-translation, say
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="joined")


# Review history is append-only, like assessments: a wrong step is followed by a new one, never edited.
# The same triggers as the migration creates; kept here so create_all (tests) builds them too.
_APPEND_ONLY_DDL = {
    "sqlite": [
        f"CREATE TRIGGER translation_steps_no_{op.lower()} BEFORE {op} ON translation_steps "
        "BEGIN SELECT RAISE(ABORT, 'translation_steps are append-only: record a revocation instead'); END"
        for op in ("UPDATE", "DELETE")
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION peerpath_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION '% are append-only: record a revocation instead', TG_TABLE_NAME; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER translation_steps_append_only BEFORE UPDATE OR DELETE ON translation_steps "
        "FOR EACH ROW EXECUTE FUNCTION peerpath_append_only()",
    ],
}
for _dialect, _statements in _APPEND_ONLY_DDL.items():
    for _statement in _statements:
        # DDL() formats the statement with %-placeholders of its own: double any literal %.
        event.listen(
            TranslationStep.__table__,
            "after_create",
            DDL(_statement.replace("%", "%%")).execute_if(dialect=_dialect),
        )
