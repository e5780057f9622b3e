"""What changed in the source since a translation was made: per section, word by word.

Sections are matched by their stable ids, so a section that was reworded,
added, removed or moved is named as such, and the word-level diff shows the
whole change since the translation's ``source_revision`` (not just the latest
edit). The front matter fields a translation carries (title, summary,
objectives) and the introduction count as entries of their own.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .document import ModuleDoc, parse_module, split_front_matter
from .problems import ContentError
from .revisions import RevisionStore, find_old_source

State = Literal["unchanged", "changed", "added", "removed", "unknown"]
Kind = Literal["meta", "intro", "section"]
META_ID = "front-matter"
INTRO_ID = "introduction"

_TOKEN_RE = re.compile(r"\s+|\S+")
_BLOCK_LINE_RE = re.compile(r"^\s{0,3}:{3,}")
_TITLE_ATTR_RE = re.compile(r'title="((?:[^"\\]|\\.)*)"|title=(\S+)')
_ATTR_LIST_RE = re.compile(r"\{\s*#[^}]*\}")


@dataclass(frozen=True)
class WordChange:
    op: Literal["equal", "delete", "insert"]
    text: str


@dataclass(frozen=True)
class SectionChange:
    """One section (or the front matter, or the introduction) compared across two source revisions."""

    id: str
    kind: Kind
    title: str
    state: State
    moved: bool
    old_text: str | None
    new_text: str | None
    words: tuple[WordChange, ...]

    @property
    def needs_update(self) -> bool:
        return self.state != "unchanged" or self.moved

    @property
    def words_added(self) -> int:
        return sum(count_words(w.text) for w in self.words if w.op == "insert")

    @property
    def words_removed(self) -> int:
        return sum(count_words(w.text) for w in self.words if w.op == "delete")

    @property
    def words_to_update(self) -> int:
        """New source words the translator has to render (removals only need deleting)."""
        if self.state == "removed":
            return 0
        if self.state in ("added", "unknown"):
            return count_words(self.new_text or "")
        return self.words_added


@dataclass(frozen=True)
class SourceDiff:
    slug: str
    lang: str
    from_revision: str | None  # what the translation was made from
    to_revision: str  # the source now
    origin: str | None  # where the old source was found; None when it was not
    entries: tuple[SectionChange, ...]

    @property
    def current(self) -> bool:
        return self.from_revision == self.to_revision

    @property
    def found(self) -> bool:
        return self.current or self.origin is not None

    @property
    def changed(self) -> tuple[SectionChange, ...]:
        return tuple(e for e in self.entries if e.needs_update)

    @property
    def changed_sections(self) -> int:
        return sum(1 for e in self.changed if e.kind == "section")

    @property
    def words_to_update(self) -> int:
        return sum(e.words_to_update for e in self.changed)

    def entry(self, entry_id: str) -> SectionChange | None:
        return next((e for e in self.entries if e.id == entry_id), None)


def count_words(text: str) -> int:
    """Words a translator renders: markup (``##``, ``{#id}``, block types, list marks) does not count."""
    total = 0
    for line in text.split("\n"):
        if _BLOCK_LINE_RE.match(line):
            line = " ".join(quoted or bare for quoted, bare in _TITLE_ATTR_RE.findall(line))
        line = _ATTR_LIST_RE.sub(" ", line)
        total += sum(1 for token in line.split() if any(ch.isalpha() for ch in token))
    return total


def word_diff(old: str, new: str) -> tuple[WordChange, ...]:
    """Whitespace-separated words, compared with difflib; works for every script."""
    a, b = _TOKEN_RE.findall(old), _TOKEN_RE.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out: list[WordChange] = []

    def add(op: Literal["equal", "delete", "insert"], text: str) -> None:
        if not text:
            return
        if out and out[-1].op == op:
            out[-1] = WordChange(op, out[-1].text + text)
        else:
            out.append(WordChange(op, text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", "".join(a[i1:i2]))
        else:
            add("delete", "".join(a[i1:i2]))
            add("insert", "".join(b[j1:j2]))
    return tuple(out)


def _parts(doc: ModuleDoc, data: bytes) -> dict[str, tuple[Kind, str, str]]:
    """id -> (kind, title, raw text) for the front matter, the introduction and each section."""
    text = data.decode("utf-8").replace("\r\n", "\n").lstrip("\ufeff")
    _front, _, body, body_line = split_front_matter(text, doc.path)
    lines = body.split("\n")
    meta = doc.meta
    parts: dict[str, tuple[Kind, str, str]] = {
        META_ID: ("meta", "", "\n".join([meta.title, meta.summary, *(f"- {o}" for o in meta.objectives)]))
    }
    starts = [s.line - body_line for s in doc.sections]
    intro = "\n".join(lines[: starts[0] if starts else len(lines)]).strip()
    parts[INTRO_ID] = ("intro", "", intro)
    for n, section in enumerate(doc.sections):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        parts[section.id] = ("section", section.title, "\n".join(lines[starts[n] : end]).strip())
    return parts


def _moved(old_ids: list[str], new_ids: list[str]) -> set[str]:
    """Common ids outside the longest common subsequence of both orders have moved."""
    common = set(old_ids) & set(new_ids)
    a = [i for i in old_ids if i in common]
    b = [i for i in new_ids if i in common]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    kept = {a[block.a + k] for block in matcher.get_matching_blocks() for k in range(block.size)}
    return common - kept


def compare(old: ModuleDoc, old_data: bytes, new: ModuleDoc, new_data: bytes) -> tuple[SectionChange, ...]:
    """Entries in the new source's order; removed sections where they stood before."""
    old_parts, new_parts = _parts(old, old_data), _parts(new, new_data)
    old_ids = [s.id for s in old.sections]
    new_ids = [s.id for s in new.sections]
    moved = _moved(old_ids, new_ids)
    entries: list[SectionChange] = []
    for entry_id in (META_ID, INTRO_ID, *new_ids):
        kind, title, text = new_parts[entry_id]
        if entry_id not in old_parts:
            entries.append(
                SectionChange(entry_id, kind, title, "added", False, None, text, (WordChange("insert", text),))
            )
            continue
        old_text = old_parts[entry_id][2]
        if old_text == text:
            if kind == "section" or entry_id in moved:
                entries.append(SectionChange(entry_id, kind, title, "unchanged", entry_id in moved, old_text, text, ()))
            continue
        entries.append(
            SectionChange(
                entry_id, kind, title, "changed", entry_id in moved, old_text, text, word_diff(old_text, text)
            )
        )
    for index, section_id in enumerate(old_ids):
        if section_id in new_parts:
            continue
        _kind, title, text = old_parts[section_id]
        removed = SectionChange(
            section_id, "section", title, "removed", False, text, None, (WordChange("delete", text),)
        )
        # After the nearest earlier old section still listed, so it appears where it used to be.
        listed = [e.id for e in entries]
        before = next((old_ids[j] for j in range(index - 1, -1, -1) if old_ids[j] in listed), None)
        if before is not None:
            at = listed.index(before) + 1
        else:
            at = next((i for i, e in enumerate(entries) if e.kind == "section"), len(entries))
        entries.insert(at, removed)
    return tuple(entries)


def _unknown(new: ModuleDoc, new_data: bytes) -> tuple[SectionChange, ...]:
    """The old source is not available: every part of the source, whole."""
    return tuple(
        SectionChange(entry_id, kind, title, "unknown", False, None, text, (WordChange("insert", text),))
        for entry_id, (kind, title, text) in _parts(new, new_data).items()
        if text or kind == "section"
    )


def source_diff(
    source_file: Path, slug: str, source_lang: str, lang: str, from_revision: str | None, store: RevisionStore | None
) -> SourceDiff:
    """Compare the source file now with the revision a translation in ``lang`` was made from."""
    new_data = source_file.read_bytes()
    new = parse_module(new_data, slug=slug, lang=source_lang, path=str(source_file))
    if from_revision == new.revision:
        return SourceDiff(slug, lang, from_revision, new.revision, None, _compare_same(new, new_data))
    old_source = find_old_source(source_file, slug, source_lang, from_revision or "", store)
    if old_source is not None:
        try:
            old = parse_module(old_source.data, slug=slug, lang=source_lang, path=str(source_file))
            entries = compare(old, old_source.data, new, new_data)
            return SourceDiff(slug, lang, from_revision, new.revision, old_source.origin, entries)
        except ContentError:
            pass  # an old version that no longer parses is as good as none
    return SourceDiff(slug, lang, from_revision, new.revision, None, _unknown(new, new_data))


def _compare_same(doc: ModuleDoc, data: bytes) -> tuple[SectionChange, ...]:
    return tuple(e for e in compare(doc, data, doc, data) if e.kind == "section")


def excerpt(words: tuple[WordChange, ...], context: int = 1) -> list[list[WordChange] | None]:
    """The diff as lines of changes, keeping ``context`` unchanged lines around each; None stands for a gap."""
    lines: list[list[WordChange]] = [[]]
    for word in words:
        for n, piece in enumerate(word.text.split("\n")):
            if n:
                lines.append([])
            if piece:
                lines[-1].append(WordChange(word.op, piece))
    changed = [i for i, line in enumerate(lines) if any(w.op != "equal" for w in line)]
    near = {i + d for i in changed for d in range(-context, context + 1)}
    out: list[list[WordChange] | None] = []
    for i, line in enumerate(lines):
        if i in near:
            out.append(line)
        elif out and out[-1] is not None:
            out.append(None)
    return out
