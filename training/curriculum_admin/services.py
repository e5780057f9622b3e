"""What the curriculum pages and commands report, read from the engine."""

from __future__ import annotations

from dataclasses import dataclass

from ..curriculum import CurriculumStore, status
from ..curriculum.translation import StatusRow


@dataclass(frozen=True)
class TranslationTable:
    languages: tuple[str, ...]
    rows: list[StatusRow]  # a module (or the competencies) and its state per language
    titles: dict[str, str]  # module slug -> title in the source language


def translation_table(store: CurriculumStore) -> TranslationTable:
    meta = store.meta()
    titles = {v.slug: v.title for v in store.modules(meta.source_language)}
    return TranslationTable(tuple(meta.languages), status(store), titles)
