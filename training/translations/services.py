"""Review steps for translations, the desk's overview, and marking a reviewed translation current.

Steps are recorded per module (or "competencies") and language against the
source revision the translation is being brought up to: a new source edit
starts a new round, and the old rounds stay in the history. Marking current
writes ``source_revision`` into the translation file (the files stay the one
source of truth) and records an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from ..audit import record
from ..curriculum import COMPETENCIES, CurriculumStore, mark_current, revision_of
from ..curriculum.sourcediff import SourceDiff, count_words
from ..curriculum.translation import changes, review_steps
from ..extensions import db
from ..permissions import may_review_translation, may_translate
from .models import TranslationStep

MAX_ATTACHMENT_BYTES = 1024 * 1024


class ReviewError(ValueError):
    """A step that cannot be recorded now; the message says why."""


class NotAllowed(PermissionError):
    """The actor may not do this; shown as "not found"."""


@dataclass(frozen=True)
class Workflow:
    name: str
    lang: str
    steps: tuple[str, ...]
    source_revision: str  # the source now
    translated_from: str | None  # the translation file's source_revision
    file_revision: str | None
    round: tuple[TranslationStep, ...]  # steps done towards the current source revision, in order
    history: tuple[TranslationStep, ...]  # every step ever, newest first
    draft: bool = False  # the file says draft: true (not shown to trainees)

    @property
    def exists(self) -> bool:
        return self.file_revision is not None

    @property
    def current(self) -> bool:
        return self.translated_from == self.source_revision

    @property
    def done(self) -> tuple[str, ...]:
        return tuple(s.step for s in self.round)

    @property
    def next_step(self) -> str | None:
        return next((s for s in self.steps if s not in self.done), None)

    @property
    def complete(self) -> bool:
        return self.next_step is None

    @property
    def in_review(self) -> bool:
        return self.draft or (bool(self.round) and not (self.current and self.complete))


def _files(store: CurriculumStore, name: str, lang: str) -> tuple[Path, Path]:
    meta = store.meta()
    if name == COMPETENCIES:
        folder = store.root / "competencies"
        return folder / f"{meta.source_language}.yaml", folder / f"{lang}.yaml"
    return store.module_path(name, meta.source_language), store.module_path(name, lang)


def _front_field(target: Path, key: str) -> str | None:
    """A top-level ``key: value`` from a module's front matter or a YAML file, without parsing it all."""
    for line in target.read_text(encoding="utf-8").split("\n")[:200]:
        if line.startswith(f"{key}:"):
            return line.split(":", 1)[1].strip().strip("'\"") or None
    return None


def workflow(store: CurriculumStore, name: str, lang: str) -> Workflow:
    """Where the translation of ``name`` in ``lang`` stands in its review."""
    meta = store.meta()
    if name != COMPETENCIES and name not in meta.modules:
        raise ReviewError(f"unknown module {name!r}")
    if lang not in meta.languages or lang == meta.source_language:
        raise ReviewError(f"{lang!r} is not a translation language")
    source, target = _files(store, name, lang)
    source_revision = revision_of(source.read_bytes())
    exists = target.exists()
    history = tuple(
        db.session.scalars(
            select(TranslationStep)
            .where(TranslationStep.name == name, TranslationStep.lang == lang)
            .order_by(TranslationStep.created_at.desc(), TranslationStep.id.desc())
        )
    )
    steps = review_steps(store)
    current_round = tuple(reversed([s for s in history if s.source_revision == source_revision and s.step in steps]))
    return Workflow(
        name=name,
        lang=lang,
        steps=steps,
        source_revision=source_revision,
        translated_from=_front_field(target, "source_revision") if exists else None,
        file_revision=revision_of(target.read_bytes()) if exists else None,
        round=current_round,
        history=history,
        draft=exists and name != COMPETENCIES and _front_field(target, "draft") == "true",
    )


def record_step(
    actor,
    store: CurriculumStore,
    name: str,
    lang: str,
    step: str,
    note: str,
    now: datetime,
    attachment: tuple[str, bytes] | None = None,
) -> TranslationStep:
    """Record that ``actor`` did review ``step``; steps go in the configured order, by different people."""
    state = workflow(store, name, lang)
    if step not in state.steps and may_translate(actor, lang):
        raise ReviewError(f"unknown review step {step!r} (steps: {', '.join(state.steps)})")
    if not may_review_translation(actor, lang, step, state.steps):
        raise NotAllowed(f"{getattr(actor, 'login', actor)} may not record {step!r} for {lang}")
    if not state.exists:
        raise ReviewError(f"there is no {lang} translation of {name} to review")
    if step != state.next_step:
        if state.next_step is None:
            raise ReviewError("every review step is done for this source revision")
        raise ReviewError(f"the next step is {state.next_step!r}, not {step!r}")
    if state.round and state.round[-1].actor_id == actor.id:
        # Four eyes: the peer reader is not the translator, the approver not the peer reader.
        raise ReviewError(f"{state.round[-1].step!r} was recorded by you; another person records {step!r}")
    if attachment is not None and len(attachment[1]) > MAX_ATTACHMENT_BYTES:
        raise ReviewError(f"the attached file is larger than {MAX_ATTACHMENT_BYTES // 1024} KiB")
    entry = TranslationStep(
        name=name,
        lang=lang,
        step=step,
        source_revision=state.source_revision,
        file_revision=state.file_revision or "",
        note=note.strip(),
        actor_id=actor.id,
        created_at=now,
        attachment_name=attachment[0][:200] if attachment else None,
        attachment=attachment[1] if attachment else None,
    )
    db.session.add(entry)
    db.session.flush()
    record(actor, "translation.step", "translation_step", entry.id, None, now, name=name, lang=lang, step=step)
    db.session.commit()
    return entry


def mark_reviewed_current(actor, store: CurriculumStore, name: str, lang: str, now: datetime) -> tuple[Path, str]:
    """After every configured step: write the source revision into the translation file (audited)."""
    state = workflow(store, name, lang)
    if actor is not None and not may_review_translation(actor, lang, state.steps[-1], state.steps):
        raise NotAllowed(f"{getattr(actor, 'login', actor)} may not mark {lang} translations current")
    if not state.complete:
        missing = [s for s in state.steps if s not in state.done]
        raise ReviewError(
            f"{name} {lang} cannot be marked current before these review steps for source revision "
            f"{state.source_revision}: {', '.join(missing)}"
        )
    path, revision = mark_current(store, name, lang)
    record(actor, "translation.mark_current", "translation", None, None, now, name=name, lang=lang, revision=revision)
    db.session.commit()
    return path, revision


@dataclass(frozen=True)
class DeskCell:
    state: str  # current | outdated | missing | in-review | error
    changed_sections: int
    words: int  # words to translate (missing) or to update (outdated)
    workflow: Workflow | None


def _source_words(store: CurriculumStore, slug: str) -> int:
    source = store.module_path(slug, store.meta().source_language)
    return count_words(source.read_text(encoding="utf-8").split("\n---", 1)[-1])


def desk_cell(store: CurriculumStore, slug: str, lang: str) -> DeskCell:
    """Status of one module in one language, for the desk."""
    state = workflow(store, slug, lang)
    if not state.exists:
        return DeskCell("missing", 0, _source_words(store, slug), state)
    if state.current:
        return DeskCell("in-review" if state.in_review else "current", 0, 0, state)
    # Only outdated translations need the (costlier) comparison with the old source.
    diff: SourceDiff = changes(store, slug, lang)
    kind = "in-review" if state.in_review else "outdated"
    return DeskCell(kind, diff.changed_sections, diff.words_to_update, state)


def desk(store: CurriculumStore, actor, languages: tuple[str, ...]) -> list[tuple[str, dict[str, DeskCell]]]:
    """Modules × the given languages the actor may translate."""
    langs = [lang for lang in languages if may_translate(actor, lang)]
    return [(slug, {lang: desk_cell(store, slug, lang) for lang in langs}) for slug in store.meta().modules]
