"""Translation status (ok / outdated / missing) and marking a reviewed translation current."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .document import ID_RE, parse_module, revision_of
from .problems import ContentError
from .sourcediff import SourceDiff, source_diff
from .store import CurriculumStore
from .yamlfile import load_yaml

COMPETENCIES = "competencies"


@dataclass(frozen=True)
class StatusRow:
    name: str  # module slug, or "competencies"
    states: dict[str, str]  # lang -> source | ok | outdated | missing | error


def _module_state(store: CurriculumStore, slug: str, lang: str, source_revision: str | None) -> str:
    path = store.module_path(slug, lang)
    if not path.exists():
        return "missing"
    try:
        doc = parse_module(path.read_bytes(), slug=slug, lang=lang, path=str(path))
    except ContentError:
        return "error"
    if not doc.ok:
        return "error"
    return "ok" if doc.meta.source_revision == source_revision else "outdated"


def status(store: CurriculumStore) -> list[StatusRow]:
    """One row per module and one for the competency framework, in teaching order."""
    meta = store.meta()
    rows = []
    for slug in meta.modules:
        source_path = store.module_path(slug, meta.source_language)
        source_revision = revision_of(source_path.read_bytes()) if source_path.exists() else None
        states = {
            lang: ("source" if source_revision else "missing")
            if lang == meta.source_language
            else _module_state(store, slug, lang, source_revision)
            for lang in meta.languages
        }
        rows.append(StatusRow(slug, states))
    folder = store.root / "competencies"
    source_file = folder / f"{meta.source_language}.yaml"
    source_revision = revision_of(source_file.read_bytes()) if source_file.exists() else None
    states = {}
    for lang in meta.languages:
        file = folder / f"{lang}.yaml"
        if lang == meta.source_language:
            states[lang] = "source" if source_revision else "missing"
        elif not file.exists():
            states[lang] = "missing"
        else:
            try:
                data = load_yaml(file.read_text(encoding="utf-8"), str(file))
            except ContentError:
                states[lang] = "error"
                continue
            current = isinstance(data, dict) and str(data.get("source_revision")) == source_revision
            states[lang] = "ok" if current else "outdated"
    rows.append(StatusRow(COMPETENCIES, states))
    return rows


def _set_yaml_field(text: str, key: str, value: str, front_matter: bool) -> str:
    """Set a top-level ``key: value`` line, keeping the rest of the file byte for byte."""
    line = f"{key}: {value}"
    pattern = re.compile(rf"(?m)^{re.escape(key)}:.*$")
    if front_matter:
        lines = text.split("\n")
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
        head = "\n".join(lines[1:end])
        head = pattern.sub(line, head, count=1) if pattern.search(head) else (head + "\n" + line if head else line)
        return "\n".join([lines[0], head, *lines[end:]])
    return pattern.sub(line, text, count=1) if pattern.search(text) else f"{line}\n{text}"


def mark_current(store: CurriculumStore, name: str, lang: str) -> tuple[Path, str]:
    """Record that the translation of ``name`` in ``lang`` matches the current source."""
    meta = store.meta()
    if lang == meta.source_language:
        raise ValueError(f"{lang} is the source language; only translations are marked current")
    if name == COMPETENCIES:
        source = store.root / "competencies" / f"{meta.source_language}.yaml"
        target = store.root / "competencies" / f"{lang}.yaml"
        front_matter = False
    else:
        if name not in meta.modules:
            raise ValueError(f"unknown module {name!r}")
        source = store.module_path(name, meta.source_language)
        target = store.module_path(name, lang)
        front_matter = True
    if not target.exists():
        raise ValueError(f"no translation file {target}")
    revision = revision_of(source.read_bytes())
    text = target.read_text(encoding="utf-8")
    try:
        updated = _set_yaml_field(text, "source_revision", revision, front_matter)
    except StopIteration:
        raise ValueError(f"{target} has no front matter") from None
    if front_matter:
        # Marked current after review: no longer a draft.
        updated = re.sub(r"(?m)^draft:.*\n", "", updated, count=1)
    target.write_text(updated, encoding="utf-8")
    return target, revision


def changes(store: CurriculumStore, slug: str, lang: str) -> SourceDiff:
    """What changed in the source of ``slug`` since its ``lang`` translation was made (ValueError if unknown)."""
    meta = store.meta()
    if slug not in meta.modules:
        raise ValueError(f"unknown module {slug!r} (known: {', '.join(meta.modules)})")
    if lang not in meta.languages:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(meta.languages)})")
    source_file = store.module_path(slug, meta.source_language)
    if not source_file.exists():
        raise ValueError(f"module {slug!r} has no source file {store.relpath(source_file)}")
    target = store.module_path(slug, lang)
    from_revision = None
    if lang == meta.source_language:
        from_revision = revision_of(source_file.read_bytes())
    elif target.exists():
        try:
            from_revision = parse_module(
                target.read_bytes(), slug=slug, lang=lang, path=str(target)
            ).meta.source_revision
        except ContentError:
            from_revision = None
    return source_diff(source_file, slug, meta.source_language, lang, from_revision, store.revisions)


DEFAULT_REVIEW_STEPS = ("translated", "peer-reviewed", "approved")


def review_steps(store: CurriculumStore) -> tuple[str, ...]:
    """The review steps a translation goes through, in order (``review_steps`` in curriculum.yaml)."""
    loaded = store.yaml_file(store.root / "curriculum.yaml")
    data = loaded[0] if loaded and isinstance(loaded[0], dict) else {}
    steps = data.get("review_steps")
    if isinstance(steps, list) and steps and all(isinstance(s, str) and ID_RE.match(s) for s in steps):
        return tuple(dict.fromkeys(steps))
    return DEFAULT_REVIEW_STEPS
