"""Exchange with translation tools: modules as gettext PO or XLIFF 1.2 segments, and back into the files.

The files are written and read with translate-toolkit, so Weblate, Crowdin,
OmegaT and Poedit see ordinary catalogues. Each segment carries its stable id
(``<module>/<section>/<block>/<kind><n>``) as PO context or XLIFF unit id; the
Markdown around the segments never leaves PeerPath. Importing puts the texts
back into the Markdown file (see ``segments``), after checking that the ids
match the file exactly; any mismatch refuses the whole import with
line-numbered messages and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from translate.storage import po, xliff

from .document import ModuleDoc, parse_module
from .problems import ContentError, Problem
from .revisions import find_old_source
from .segments import Segment, SegmentError, apply_segments, read_segments
from .store import CurriculumStore
from .translation import _set_yaml_field
from .yamlfile import key_lines

Format = Literal["po", "xliff"]
FORMATS: tuple[Format, ...] = ("po", "xliff")
REVISION_HEADER = "X-PeerPath-Source-Revisions"
SOURCE_ONLY_FIELDS = ("duration", "competencies", "safety_critical")


@dataclass(frozen=True)
class Unit:
    module: str
    id: str
    source: str
    target: str
    note: str
    location: str
    fuzzy: bool = False  # the source changed since this translation was made
    previous_source: str | None = None


@dataclass(frozen=True)
class ModuleExport:
    slug: str
    source_revision: str
    units: tuple[Unit, ...]
    not_in_translation: tuple[str, ...]  # new source segments the file has no place for yet


@dataclass
class ImportResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    untranslated: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.level == "error" for p in self.problems)


def _read(store: CurriculumStore, slug: str, lang: str) -> tuple[ModuleDoc, str, list[Segment]] | None:
    path = store.module_path(slug, lang)
    if not path.exists():
        return None
    return read_segments(path.read_bytes(), slug, lang, store.relpath(path))


def module_export(store: CurriculumStore, slug: str, lang: str) -> ModuleExport:
    """The segments of one module in ``lang`` beside the source text (ValueError when unknown)."""
    meta = store.meta()
    if slug not in meta.modules:
        raise ValueError(f"unknown module {slug!r}")
    if lang not in meta.languages or lang == meta.source_language:
        raise ValueError(f"{lang!r} is not a translation language of this curriculum")
    source = _read(store, slug, meta.source_language)
    if source is None:
        raise ValueError(f"module {slug!r} has no source file")
    source_doc, _text, source_segments = source
    by_id = {s.id: s for s in source_segments}
    target = _read(store, slug, lang)
    # Source segments that changed since the translation was made, when that old source can be found.
    old_texts: dict[str, str] = {}
    if target is not None and target[0].meta.source_revision not in (None, source_doc.revision):
        old = find_old_source(
            store.module_path(slug, meta.source_language),
            slug,
            meta.source_language,
            target[0].meta.source_revision or "",
            store.revisions,
        )
        if old is not None:
            try:
                old_texts = {s.id: s.text for s in read_segments(old.data, slug, meta.source_language, "old")[2]}
            except ContentError:
                old_texts = {}
    units = []
    for segment in target[2] if target else source_segments:
        src = by_id.get(segment.id)
        note = segment.note if src else f"{segment.note}; not in the source any more"
        previous = old_texts.get(segment.id)
        fuzzy = bool(target and src and previous is not None and previous != src.text)
        units.append(
            Unit(
                module=slug,
                id=segment.id,
                source=src.text if src else segment.text,
                target=segment.text if target else "",
                note=note,
                location=f"{store.relpath(store.module_path(slug, lang))}:{segment.line}",
                fuzzy=fuzzy,
                previous_source=previous if fuzzy else None,
            )
        )
    present = {u.id for u in units}
    missing = tuple(s.id for s in source_segments if s.id not in present)
    return ModuleExport(slug, source_doc.revision, tuple(units), missing)


def write_po(exports: Iterable[ModuleExport], lang: str, source_language: str) -> bytes:
    """A gettext PO catalogue; msgctxt is ``module/segment-id``."""
    exports = list(exports)
    catalogue = po.pofile()
    catalogue.updateheader(
        add=True,
        Language=lang,
        Content_Type="text/plain; charset=UTF-8",
        Project_Id_Version="PeerPath curriculum",
        X_PeerPath_Source_Language=source_language,
        X_PeerPath_Source_Revisions=" ".join(f"{e.slug}={e.source_revision}" for e in exports),
    )
    for export in exports:
        if export.not_in_translation:
            catalogue.header().addnote(
                f"{export.slug}: the source has new segments the {lang} file has no place for yet "
                f"({', '.join(export.not_in_translation)}); add them to the Markdown file first.",
                origin="translator",
            )
        for unit in export.units:
            entry = catalogue.addsourceunit(unit.source)
            entry.setcontext(f"{unit.module}/{unit.id}")
            entry.target = unit.target
            entry.addnote(unit.note, origin="developer")
            entry.addlocation(unit.location)
            if unit.fuzzy:
                entry.markfuzzy(True)
                entry.prev_source = unit.previous_source
    return bytes(catalogue)


def write_xliff(exports: Iterable[ModuleExport], lang: str, source_language: str) -> bytes:
    """An XLIFF 1.2 file with one <file> per module (original="<module>@<source revision>")."""
    catalogue = xliff.xlifffile(sourcelanguage=source_language, targetlanguage=lang)
    for export in exports:
        filename = f"{export.slug}@{export.source_revision}"
        for unit in export.units:
            entry = catalogue.addsourceunit(unit.source, filename=filename, createifmissing=True)
            entry.setid(unit.id)
            if unit.target:
                entry.target = unit.target
                if unit.fuzzy:
                    entry.markfuzzy(True)
            entry.addnote(unit.note, origin="developer")
            entry.addlocation(unit.location)
    return bytes(catalogue)


def export(store: CurriculumStore, slugs: Iterable[str], lang: str, fmt: Format) -> bytes:
    """PO or XLIFF for the given modules in ``lang``."""
    exports = [module_export(store, slug, lang) for slug in slugs]
    writer = write_po if fmt == "po" else write_xliff
    return writer(exports, lang, store.meta().source_language)


# -- import ---------------------------------------------------------------------------------------

_MSGCTXT_RE = re.compile(r'^msgctxt\s+"(.*)"\s*$')


@dataclass(frozen=True)
class Incoming:
    module: str
    id: str
    target: str
    translated: bool
    line: int


def _po_lines(data: bytes) -> dict[str, list[int]]:
    """File line of each msgctxt: translate-toolkit keeps no line numbers, and messages need them."""
    found: dict[str, list[int]] = {}
    lines = data.decode("utf-8", errors="replace").split("\n")
    for number, line in enumerate(lines, start=1):
        match = _MSGCTXT_RE.match(line)
        if match:
            value = match.group(1)
            follow = number
            while follow < len(lines) and lines[follow].startswith('"'):
                value += lines[follow].strip()[1:-1]
                follow += 1
            found.setdefault(value, []).append(number)
    return found


def read_po(data: bytes, name: str) -> tuple[list[Incoming], dict[str, str], list[Problem]]:
    problems: list[Problem] = []
    try:
        catalogue = po.pofile.parsestring(data)
    except Exception as exc:  # translate-toolkit raises several kinds for broken files
        return [], {}, [Problem(name, 1, "error", f"not a readable PO file: {exc}")]
    lines = _po_lines(data)
    seen: dict[str, int] = {}
    incoming = []
    for unit in catalogue.units:
        if unit.isheader() or unit.isobsolete():
            continue
        context = unit.getcontext() or ""
        line = lines.get(context, [0]).pop(0) if lines.get(context) else 0
        module, sep, seg_id = context.partition("/")
        if not sep:
            problems.append(Problem(name, line, "error", f"entry {unit.source[:40]!r} has no module/segment context"))
            continue
        incoming.append(Incoming(module, seg_id, unit.target or "", bool(unit.istranslated()), line))
        seen.setdefault(context, line)
    revisions = {}
    header = catalogue.parseheader()
    for pair in str(header.get(REVISION_HEADER, "")).split():
        slug, _, revision = pair.partition("=")
        revisions[slug] = revision
    return incoming, revisions, problems


def read_xliff(data: bytes, name: str) -> tuple[list[Incoming], dict[str, str], list[Problem]]:
    try:
        catalogue = xliff.xlifffile.parsestring(data)
    except Exception as exc:  # lxml and translate-toolkit raise several kinds for broken files
        return [], {}, [Problem(name, 1, "error", f"not a readable XLIFF file: {exc}")]
    incoming = []
    revisions = {}
    problems: list[Problem] = []
    for unit in catalogue.units:
        element = unit.xmlelement
        # The enclosing <file> names the module, however deep tools nest units in <group>s.
        file_node = next((a for a in element.iterancestors() if str(a.tag).endswith("}file")), None)
        original = file_node.get("original", "") if file_node is not None else ""
        module, _, revision = original.partition("@")
        if revision:
            revisions[module] = revision
        seg_id = element.get("id") or ""
        target = unit.target or ""
        translated = bool(target.strip()) and not unit.isfuzzy()
        incoming.append(Incoming(module, seg_id, target, translated, element.sourceline or 0))
    return incoming, revisions, problems


def _strip_source_fields(text: str, path: str) -> str:
    """A new translation starts from the source file: drop the fields only the source carries."""
    lines = text.split("\n")
    end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    positions = key_lines("\n".join(lines[1:end]), 2)
    starts = sorted(positions.values())
    for key in sorted((k for k in SOURCE_ONLY_FIELDS if k in positions), key=lambda k: positions[k], reverse=True):
        begin = positions[key] - 1
        following = [s - 1 for s in starts if s - 1 > begin]
        stop = following[0] if following else end
        del lines[begin:stop]
        end -= stop - begin
    return "\n".join(lines)


def import_file(
    store: CurriculumStore, data: bytes, name: str, lang: str, fmt: Format, *, write: bool = True
) -> ImportResult:
    """Put translated segments back into the module files of ``lang``; nothing is written unless all is well."""
    meta = store.meta()
    result = ImportResult()
    if lang not in meta.languages or lang == meta.source_language:
        result.problems.append(Problem(name, 1, "error", f"{lang!r} is not a translation language of this curriculum"))
        return result
    reader = read_po if fmt == "po" else read_xliff
    incoming, revisions, problems = reader(data, name)
    result.problems.extend(problems)
    by_module: dict[str, list[Incoming]] = {}
    for item in incoming:
        by_module.setdefault(item.module, []).append(item)
    if not incoming and not problems:
        result.problems.append(Problem(name, 1, "error", "the file has no segments"))
    planned: list[tuple[Path, str, bool]] = []
    for slug, items in by_module.items():
        if slug not in meta.modules:
            first = min(i.line for i in items)
            result.problems.append(Problem(name, first, "error", f"unknown module {slug!r}"))
            continue
        plan = _plan_module(store, slug, lang, items, revisions.get(slug), name, result)
        if plan is not None:
            planned.append(plan)
    if not result.ok or not write:
        return result
    for path, text, _new_file in planned:
        if path.exists() and path.read_text(encoding="utf-8") == text:
            result.unchanged.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".md.importing")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
        result.written.append(path)
    return result


def _plan_module(
    store: CurriculumStore,
    slug: str,
    lang: str,
    items: list[Incoming],
    revision: str | None,
    name: str,
    result: ImportResult,
) -> tuple[Path, str, bool] | None:
    meta = store.meta()
    target_path = store.module_path(slug, lang)
    new_file = not target_path.exists()
    skeleton = _read(store, slug, meta.source_language if new_file else lang)
    if skeleton is None:
        result.problems.append(Problem(name, 1, "error", f"module {slug!r} has no source file"))
        return None
    doc, text, segments = skeleton
    where = store.relpath(store.module_path(slug, meta.source_language if new_file else lang))
    known = {s.id: s for s in segments}
    errors_before = len(result.problems)
    values: dict[str, str] = {}
    seen: dict[str, int] = {}
    for item in items:
        if item.id in seen:
            result.problems.append(
                Problem(name, item.line, "error", f"{slug}/{item.id}: appears twice (first at line {seen[item.id]})")
            )
            continue
        seen[item.id] = item.line
        if item.id not in known:
            result.problems.append(
                Problem(name, item.line, "error", f"{slug}/{item.id}: no segment with this id in {where}")
            )
            continue
        if item.translated and item.target.strip():
            values[item.id] = item.target
        else:
            result.untranslated += 1
    for segment in segments:
        if segment.id not in seen:
            result.problems.append(
                Problem(where, segment.line, "error", f"{slug}/{segment.id}: missing from the import {name}")
            )
    if len(result.problems) > errors_before:
        return None
    try:
        updated = apply_segments(text, doc, segments, values)
    except SegmentError as exc:
        line = seen.get(exc.segment_id, 0)
        result.problems.append(Problem(name, line, "error", f"{slug}/{exc.segment_id}: {exc}"))
        return None
    if new_file:
        source_revision = revision or ""
        if not re.fullmatch(r"[0-9a-f]{12}", source_revision):
            result.problems.append(
                Problem(
                    name,
                    1,
                    "error",
                    f"{slug}: the file does not say which source revision it was exported from "
                    f"({REVISION_HEADER} header in PO, file original='{slug}@<revision>' in XLIFF)",
                )
            )
            return None
        updated = _set_yaml_field(_strip_source_fields(updated, where), "source_revision", source_revision, True)
    if updated != text and not re.search(r"(?m)^draft:\s*true\s*$", updated.split("\n---", 1)[0]):
        # Imported text has not been reviewed yet: readers keep seeing the source until it is marked current.
        updated = _set_yaml_field(updated, "draft", "true", True)
    # The result must still be a module with the same structure; refuse anything else.
    rel = store.relpath(target_path)
    try:
        check = parse_module(updated.encode("utf-8"), slug=slug, lang=lang, path=rel)
    except ContentError as exc:
        result.problems.extend(exc.problems)
        return None
    fresh = [p for p in check.problems if p.level == "error"]
    if fresh or check.section_ids != doc.section_ids or _block_ids(check) != _block_ids(doc):
        result.problems.extend(fresh)
        result.problems.append(Problem(rel, 1, "error", f"{slug}: the import would change the module's structure"))
        return None
    return target_path, updated, new_file


def _block_ids(doc: ModuleDoc) -> list[tuple[str, str]]:
    return [(b.type, b.attrs.get("id", "")) for b in doc.blocks()]
