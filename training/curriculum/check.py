"""Validate a whole curriculum folder: every problem, by file and line.

Reads everything from disk afresh (no caches), so authors see exactly what is
in their working tree. Never raises on bad content: a broken file becomes a
Problem and the rest is still checked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from .competencies import EVIDENCE_KINDS, structure
from .document import COMPETENCY_ID_RE, ID_RE, ModuleDoc, parse_module, revision_of
from .languages import is_known
from .paths import symlinks
from .problems import ContentError, Problem
from .yamlfile import load_yaml_with_lines


@dataclass
class _Context:
    root: Path
    problems: list[Problem]

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def add(self, path: Path, line: int, level: str, message: str) -> None:
        self.problems.append(Problem(self.rel(path), line, level, message))  # type: ignore[arg-type]

    def read_yaml(self, path: Path) -> tuple[Any, dict[str, int], str] | None:
        try:
            data = path.read_bytes()
            text = data.decode("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self.add(path, 1, "error", f"cannot read file: {exc}")
            return None
        try:
            return (*load_yaml_with_lines(text, self.rel(path)), revision_of(data))
        except ContentError as exc:
            self.problems.extend(exc.problems)
            return None

    def read_module(self, path: Path, slug: str, lang: str) -> ModuleDoc | None:
        try:
            doc = parse_module(path.read_bytes(), slug=slug, lang=lang, path=self.rel(path))
        except ContentError as exc:
            self.problems.extend(exc.problems)
            return None
        except OSError as exc:
            self.add(path, 1, "error", f"cannot read file: {exc}")
            return None
        self.problems.extend(doc.problems)
        return doc


@dataclass
class _Curriculum:
    source: str
    languages: list[str]
    modules: list[str]
    sources: dict[str, ModuleDoc]
    competency_ids: set[str]


def _lang_files(folder: Path, suffix: str) -> Iterator[tuple[str, Path]]:
    if folder.is_dir():
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.is_file() and entry.name.endswith(suffix):
                yield entry.name[: -len(suffix)], Path(entry.path)


def _check_curriculum_yaml(ctx: _Context) -> _Curriculum | None:
    path = ctx.root / "curriculum.yaml"
    if not path.exists():
        ctx.add(path, 1, "error", "curriculum.yaml is missing")
        return None
    loaded = ctx.read_yaml(path)
    if loaded is None:
        return None
    data, lines, _ = loaded
    if not isinstance(data, dict):
        ctx.add(path, 1, "error", "curriculum.yaml must be a mapping of fields")
        return None
    for field in ("id", "source_language", "languages", "title", "modules"):
        if not data.get(field):
            ctx.add(path, lines.get(field, 1), "error", f"missing required field {field!r}")
    source = str(data.get("source_language") or "en")
    languages = [str(x) for x in data.get("languages") or []] if isinstance(data.get("languages"), list) else []
    for lang in languages:
        if not is_known(lang):
            ctx.add(path, lines.get("languages", 1), "error", f"unknown language code {lang!r}")
    if source not in languages:
        ctx.add(path, lines.get("source_language", 1), "error", f"source language {source!r} is not in languages")
    titles = data.get("title")
    if isinstance(titles, dict):
        if source not in titles:
            ctx.add(path, lines.get("title", 1), "error", f"title has no entry for the source language {source!r}")
        for lang in titles:
            if lang not in languages:
                ctx.add(path, lines.get("title", 1), "error", f"title in unknown language code {lang!r}")
    elif titles is not None:
        ctx.add(path, lines.get("title", 1), "error", "title must map language codes to titles")
    modules = data.get("modules") if isinstance(data.get("modules"), list) else []
    seen: set[str] = set()
    for slug in modules:
        slug = str(slug)
        if not ID_RE.match(slug):
            ctx.add(
                path,
                lines.get("modules", 1),
                "error",
                f"module slug {slug!r} must be lower-case letters, digits and hyphens",
            )
        if slug in seen:
            ctx.add(path, lines.get("modules", 1), "error", f"module {slug!r} is listed twice")
        seen.add(slug)
    return _Curriculum(source, languages, [str(m) for m in modules], {}, set())


def _check_framework(ctx: _Context, cur: _Curriculum) -> None:
    folder = ctx.root / "competencies"
    path = folder / "framework.yaml"
    loaded = ctx.read_yaml(path)
    if loaded is None:
        if not path.exists():
            ctx.add(path, 1, "error", "competency framework is missing")
        return
    data, lines, _ = loaded
    if not isinstance(data, dict) or not isinstance(data.get("domains"), list):
        ctx.add(path, 1, "error", "framework.yaml must have a list 'domains'")
        return
    kinds = data.get("evidence_kinds") or list(EVIDENCE_KINDS)
    for kind in kinds:
        if kind not in EVIDENCE_KINDS:
            ctx.add(
                path,
                lines.get("evidence_kinds", 1),
                "error",
                f"unknown evidence kind {kind!r} (known: {', '.join(EVIDENCE_KINDS)})",
            )
    text = path.read_text(encoding="utf-8")
    for _domain_id, items in structure(data):
        for comp_id, evidence in items:
            line = _line_of(text, comp_id)
            if not COMPETENCY_ID_RE.match(comp_id):
                ctx.add(
                    path, line, "error", f"competency id {comp_id!r} must be a capital letter and a number, like A1"
                )
            if comp_id in cur.competency_ids:
                ctx.add(path, line, "error", f"duplicate competency id {comp_id!r}")
            cur.competency_ids.add(comp_id)
            if not evidence:
                ctx.add(path, line, "error", f"competency {comp_id} names no evidence kinds")
            for kind in evidence:
                if kind not in kinds:
                    ctx.add(path, line, "error", f"competency {comp_id}: unknown evidence kind {kind!r}")
    source_text = None
    source_path = folder / f"{cur.source}.yaml"
    for lang, file in _lang_files(folder, ".yaml"):
        if lang == "framework":
            continue
        if lang not in cur.languages:
            ctx.add(file, 1, "error", f"unknown language code {lang!r} (not in curriculum.yaml languages)")
    source_loaded = ctx.read_yaml(source_path)
    if source_loaded is None:
        if not source_path.exists():
            ctx.add(source_path, 1, "error", "competency text in the source language is missing")
    else:
        source_text = source_loaded
        _check_framework_text(ctx, cur, source_path, source_loaded, None)
    for lang in cur.languages:
        if lang == cur.source:
            continue
        file = folder / f"{lang}.yaml"
        if not file.exists():
            ctx.add(file, 1, "warning", f"missing translation: competency framework in {lang}")
            continue
        loaded = ctx.read_yaml(file)
        if loaded is not None:
            _check_framework_text(ctx, cur, file, loaded, source_text)


def _line_of(text: str, needle: str) -> int:
    match = re.search(rf"(?m)^.*\b{re.escape(needle)}\b", text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _kit_ids(entry: Any) -> tuple[list[str], list[str]]:
    kit = entry.get("kit") if isinstance(entry, dict) and isinstance(entry.get("kit"), dict) else {}
    scenarios = [str(s.get("id")) for s in kit.get("scenarios") or [] if isinstance(s, dict)]
    checklist = [str(c.get("id")) for c in kit.get("checklist") or [] if isinstance(c, dict)]
    return scenarios, checklist


def _check_framework_text(ctx: _Context, cur: _Curriculum, path: Path, loaded: tuple, source: tuple | None) -> None:
    data, lines, _ = loaded
    text = path.read_text(encoding="utf-8")
    if not isinstance(data, dict) or not isinstance(data.get("competencies"), dict):
        ctx.add(path, 1, "error", "must have a mapping 'competencies' of competency id to text")
        return
    entries = data["competencies"]
    for comp_id, entry in entries.items():
        line = _line_of(text, str(comp_id))
        if str(comp_id) not in cur.competency_ids:
            ctx.add(path, line, "error", f"unknown competency id {comp_id!r} (not in framework.yaml)")
            continue
        if not isinstance(entry, dict):
            ctx.add(path, line, "error", f"competency {comp_id} must be a mapping with title, description, evidence")
            continue
        for field in ("title", "description", "evidence"):
            if not entry.get(field):
                ctx.add(path, line, "error", f"competency {comp_id}: missing required field {field!r}")
        scenarios, checklist = _kit_ids(entry)
        for kind, ids in (("scenario", scenarios), ("checklist item", checklist)):
            for item_id in ids:
                if not ID_RE.match(item_id):
                    ctx.add(
                        path,
                        _line_of(text, item_id),
                        "error",
                        f"competency {comp_id}: {kind} id {item_id!r} must be lower-case letters, digits and hyphens",
                    )
            if len(set(ids)) != len(ids):
                ctx.add(path, line, "error", f"competency {comp_id}: duplicate {kind} ids")
        if source is None:
            if not checklist:
                ctx.add(path, line, "error", f"competency {comp_id}: the role-play kit needs a checklist")
            if not scenarios:
                ctx.add(path, line, "error", f"competency {comp_id}: the role-play kit needs at least one scenario")
        else:
            source_entry = (
                source[0]["competencies"].get(comp_id)
                if isinstance(source[0], dict) and isinstance(source[0].get("competencies"), dict)
                else None
            )
            source_scenarios, source_checklist = _kit_ids(source_entry)
            if scenarios and scenarios != source_scenarios:
                ctx.add(
                    path,
                    line,
                    "error",
                    f"competency {comp_id}: scenario ids {scenarios} differ from the source {source_scenarios}",
                )
            if checklist and checklist != source_checklist:
                ctx.add(
                    path,
                    line,
                    "error",
                    f"competency {comp_id}: checklist ids {checklist} differ from the source {source_checklist}",
                )
    if source is None:
        for comp_id in sorted(cur.competency_ids - {str(k) for k in entries}):
            ctx.add(path, 1, "error", f"competency {comp_id} has no text in the source language")
        return
    for comp_id in sorted(cur.competency_ids - {str(k) for k in entries}):
        ctx.add(path, 1, "warning", f"missing translation: competency {comp_id}")
    revision = data.get("source_revision")
    if revision is None:
        ctx.add(path, 1, "error", "a translation needs source_revision (see 'flask curriculum mark-current')")
    elif str(revision) != source[2]:
        ctx.add(
            path,
            lines.get("source_revision", 1),
            "warning",
            f"outdated translation: made from source revision {revision}, the source is now at {source[2]}",
        )


def _check_module_source(ctx: _Context, cur: _Curriculum, slug: str, doc: ModuleDoc, path: Path) -> None:
    meta, lines = doc.meta, doc.meta_lines
    for field, value in (
        ("title", meta.title),
        ("summary", meta.summary),
        ("duration", meta.duration),
        ("objectives", meta.objectives),
        ("competencies", meta.competencies),
    ):
        if not value and not (field == "duration" and "duration" in lines):
            ctx.add(path, lines.get(field, 1), "error", f"missing required field {field!r}")
    for comp in meta.competencies:
        if cur.competency_ids and comp not in cur.competency_ids:
            ctx.add(path, lines.get("competencies", 1), "error", f"unknown competency id {comp!r}")
    for section_id in meta.safety_critical:
        if doc.section(section_id) is None:
            ctx.add(
                path,
                lines.get("safety_critical", 1),
                "error",
                f"safety_critical names a section that does not exist: {section_id!r}",
            )
    if not doc.sections:
        ctx.add(path, 1, "error", "the module has no sections ('## Title {#id}')")
    if meta.source_revision is not None:
        ctx.add(
            path,
            lines.get("source_revision", 1),
            "warning",
            "source_revision belongs in translations, not in the source",
        )


def _block_ids(doc: ModuleDoc) -> list[str]:
    return [
        f"{b.type}:{b.attrs['id']}" for b in doc.blocks() if b.type in ("reflection", "handout") and b.attrs.get("id")
    ]


def _check_translation(ctx: _Context, source: ModuleDoc, doc: ModuleDoc, path: Path) -> None:
    meta, lines = doc.meta, doc.meta_lines
    for field, value in (("title", meta.title), ("summary", meta.summary), ("objectives", meta.objectives)):
        if not value:
            ctx.add(path, lines.get(field, 1), "error", f"missing required field {field!r}")
    if doc.section_ids != source.section_ids:
        missing = [s for s in source.section_ids if s not in doc.section_ids]
        extra = [s for s in doc.section_ids if s not in source.section_ids]
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"not in the source: {', '.join(extra)}")
        if not parts:
            parts.append("same ids in a different order")
        line = doc.section(extra[0]).line if extra else (doc.sections[0].line if doc.sections else 1)
        ctx.add(path, line, "error", f"section ids differ from the source ({'; '.join(parts)})")
    source_blocks, blocks = _block_ids(source), _block_ids(doc)
    if sorted(source_blocks) != sorted(blocks):
        missing = sorted(set(source_blocks) - set(blocks))
        extra = sorted(set(blocks) - set(source_blocks))
        ctx.add(
            path,
            1,
            "error",
            f"block ids differ from the source (missing: {', '.join(missing) or '-'}; not in the source: {', '.join(extra) or '-'})",
        )
    if len(meta.objectives) != len(source.meta.objectives) and meta.objectives:
        ctx.add(
            path,
            lines.get("objectives", 1),
            "warning",
            f"{len(meta.objectives)} objectives, the source has {len(source.meta.objectives)}",
        )
    for field in ("duration", "competencies", "safety_critical"):
        if field in lines:
            ctx.add(
                path, lines[field], "warning", f"{field} is read from the source file; remove it from the translation"
            )
    if meta.source_revision is None:
        ctx.add(path, 1, "error", "a translation needs source_revision (see 'flask curriculum mark-current')")
    elif meta.source_revision != source.revision:
        ctx.add(
            path,
            lines.get("source_revision", 1),
            "warning",
            f"outdated translation: made from source revision {meta.source_revision}, the source is now at {source.revision}",
        )


def _check_links(ctx: _Context, cur: _Curriculum, doc: ModuleDoc, path: Path, own_sections: set[str]) -> None:
    for link in doc.links():
        target = link.target
        if link.image:
            if not re.match(r"^images/[A-Za-z0-9._/-]+$", target) or ".." in target.split("/"):
                ctx.add(path, link.line, "error", f"image {target!r} must be a file in the module's images/ folder")
            elif not (path.parent / target).is_file():
                ctx.add(path, link.line, "error", f"missing image {target!r}")
            continue
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        if target.startswith("module:"):
            slug, _, section = target[len("module:") :].partition("#")
            if slug not in cur.modules:
                ctx.add(path, link.line, "error", f"link to a module that does not exist: {slug!r}")
            elif section and slug in cur.sources and cur.sources[slug].section(section) is None:
                ctx.add(path, link.line, "error", f"link to a section that does not exist: {slug}#{section}")
            continue
        if target.startswith("#"):
            if target[1:] not in own_sections:
                ctx.add(path, link.line, "error", f"link to a section that does not exist in this module: {target}")
            continue
        ctx.add(
            path,
            link.line,
            "error",
            f"link target {target!r} is not allowed: use module:slug, module:slug#section, #section or https://",
        )


def _check_modules(ctx: _Context, cur: _Curriculum) -> None:
    folder = ctx.root / "modules"
    listed = set(cur.modules)
    if folder.is_dir():
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.is_dir() and entry.name not in listed:
                ctx.add(
                    Path(entry.path),
                    1,
                    "warning",
                    f"module folder {entry.name!r} is not listed in curriculum.yaml modules",
                )
    translations: list[tuple[str, ModuleDoc, Path]] = []
    for slug in cur.modules:
        source_path = folder / slug / f"{cur.source}.md"
        if not source_path.exists():
            ctx.add(source_path, 1, "error", f"module {slug!r} has no source file")
            continue
        source = ctx.read_module(source_path, slug, cur.source)
        if source is None:
            continue
        cur.sources[slug] = source
        _check_module_source(ctx, cur, slug, source, source_path)
        for lang, path in _lang_files(folder / slug, ".md"):
            if lang not in cur.languages:
                ctx.add(path, 1, "error", f"unknown language code {lang!r} (not in curriculum.yaml languages)")
        for lang in cur.languages:
            if lang == cur.source:
                continue
            path = folder / slug / f"{lang}.md"
            if not path.exists():
                ctx.add(path, 1, "warning", f"missing translation: module {slug!r} in {lang}")
                continue
            doc = ctx.read_module(path, slug, lang)
            if doc is not None:
                translations.append((slug, doc, path))
                _check_translation(ctx, source, doc, path)
    for slug, source in cur.sources.items():
        _check_links(ctx, cur, source, folder / slug / f"{cur.source}.md", set(source.section_ids))
    for _slug, doc, path in translations:
        _check_links(ctx, cur, doc, path, set(doc.section_ids))


def _check_sites(ctx: _Context, cur: _Curriculum) -> None:
    folder = ctx.root / "sites"
    if not folder.is_dir():
        return
    zones = available_timezones()
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not entry.is_dir():
            continue
        site = Path(entry.path)
        if not ID_RE.match(entry.name):
            ctx.add(site, 1, "error", f"site id {entry.name!r} must be lower-case letters, digits and hyphens")
        path = site / "site.yaml"
        loaded = ctx.read_yaml(path)
        if loaded is None:
            if not path.exists():
                ctx.add(path, 1, "error", "site.yaml is missing")
            continue
        data, lines, _ = loaded
        if not isinstance(data, dict):
            ctx.add(path, 1, "error", "site.yaml must be a mapping of fields")
            continue
        for field in ("name", "default_language", "languages"):
            if not data.get(field):
                ctx.add(path, lines.get(field, 1), "error", f"missing required field {field!r}")
        languages = [str(x) for x in data.get("languages") or []] if isinstance(data.get("languages"), list) else []
        for lang in languages:
            if lang not in cur.languages:
                ctx.add(
                    path,
                    lines.get("languages", 1),
                    "error",
                    f"unknown language code {lang!r} (not in curriculum.yaml languages)",
                )
        default = data.get("default_language")
        if default and str(default) not in languages:
            ctx.add(
                path,
                lines.get("default_language", 1),
                "error",
                f"default_language {default!r} is not among the site's languages",
            )
        zone = data.get("timezone")
        if zone is not None and str(zone) not in zones:
            ctx.add(path, lines.get("timezone", 1), "error", f"unknown time zone {zone!r}")
        modules = site / "modules"
        if not modules.is_dir():
            continue
        for module_entry in sorted(os.scandir(modules), key=lambda e: e.name):
            slug = module_entry.name
            if slug not in cur.sources:
                ctx.add(
                    Path(module_entry.path), 1, "error", f"site adaptation for a module that does not exist: {slug!r}"
                )
                continue
            source = cur.sources[slug]
            for lang, file in _lang_files(Path(module_entry.path), ".md"):
                if lang not in cur.languages:
                    ctx.add(file, 1, "error", f"unknown language code {lang!r}")
                    continue
                doc = ctx.read_module(file, slug, lang)
                if doc is None:
                    continue
                for new_id, after in doc.meta.add_after.items():
                    if doc.section(new_id) is None:
                        ctx.add(
                            file,
                            doc.meta_lines.get("add_after", 1),
                            "error",
                            f"add_after names a section not in this file: {new_id!r}",
                        )
                    if source.section(after) is None:
                        ctx.add(
                            file,
                            doc.meta_lines.get("add_after", 1),
                            "error",
                            f"add_after: no section {after!r} in module {slug!r}",
                        )
                if not doc.sections:
                    ctx.add(file, 1, "error", "a site adaptation must contain at least one section")
                _check_links(ctx, cur, doc, file, set(source.section_ids) | set(doc.section_ids))


def check_curriculum(root: Path | str) -> list[Problem]:
    """Every problem in the curriculum folder, sorted by file and line."""
    ctx = _Context(Path(root).resolve(), [])
    for link, inside in symlinks(ctx.root):
        where = "to a file inside the folder" if inside else "pointing outside the curriculum folder"
        ctx.add(link, 1, "error", f"symbolic link {where}: curriculum files must be regular files")
    cur = _check_curriculum_yaml(ctx)
    if cur is not None:
        _check_framework(ctx, cur)
        _check_modules(ctx, cur)
        _check_sites(ctx, cur)
    return sorted(set(ctx.problems))
