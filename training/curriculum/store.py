"""The loaded curriculum: files in, immutable objects and cached HTML out.

One ``CurriculumStore`` serves the web app, the PDF builder and the CLI. Each
access stats the files it needs (microseconds), so an edited file is picked up
on the next request without a restart. A file that no longer parses is not
used: the last good version keeps being served and the problem is logged.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from .competencies import Framework, build_framework
from .document import ModuleDoc, ModuleMeta, Section, parse_module, revision_of
from .problems import ContentError
from .render import (
    DEFAULT_LABELS,
    Audience,
    Labels,
    LinkContext,
    RenderedSection,
    Style,
    render_intro,
    render_section,
)
from .yamlfile import load_yaml

log = logging.getLogger(__name__)
T = TypeVar("T")


class _FileCache(Generic[T]):
    """Parsed files keyed by path, re-parsed only when (mtime, size, inode) change."""

    def __init__(self) -> None:
        self._entries: dict[Path, tuple[tuple[int, int, int], T]] = {}
        self._lock = threading.Lock()

    def get(self, path: Path, parse: Callable[[bytes], T], usable: Callable[[T], bool] = lambda _: True) -> T | None:
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            with self._lock:
                self._entries.pop(path, None)
            return None
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        entry = self._entries.get(path)
        if entry is not None and entry[0] == key:
            return entry[1]
        try:
            value = parse(path.read_bytes())
        except (ContentError, OSError) as exc:
            log.warning("curriculum: %s; keeping the last good version", exc)
            return entry[1] if entry else None
        if not usable(value) and entry is not None:
            log.warning("curriculum: %s has errors; keeping the last good version", path)
            return entry[1]
        with self._lock:
            self._entries[path] = (key, value)
        return value


@dataclass(frozen=True)
class CurriculumMeta:
    id: str
    titles: Mapping[str, str]
    source_language: str
    languages: tuple[str, ...]
    modules: tuple[str, ...]
    revision: str

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get(self.source_language) or self.id


@dataclass(frozen=True)
class Site:
    id: str
    name: str  # in the site's default language
    default_language: str
    languages: tuple[str, ...]
    timezone: str
    revision: str
    names: tuple[tuple[str, str], ...] = ()  # (language, name) from site.yaml, when given per language

    def name_in(self, lang: str | None) -> str:
        """The site's name for a reader of ``lang``: its own name in that language, else the default."""
        return dict(self.names).get(lang or "") or self.name


@dataclass(frozen=True)
class PlacedSection:
    """A section as shown, with the document it comes from (the module or a site overlay)."""

    section: Section
    doc: ModuleDoc

    @property
    def id(self) -> str:
        return self.section.id

    @property
    def from_site(self) -> bool:
        return "/sites/" in f"/{self.doc.path}"


@dataclass(frozen=True)
class ModuleView:
    """A module as a reader in one language (and maybe one site) sees it."""

    slug: str
    lang: str  # requested language
    doc: ModuleDoc  # the file shown: the translation, or the source as fallback
    source: ModuleDoc
    overlay: ModuleDoc | None
    sections: tuple[PlacedSection, ...]
    position: int
    total: int

    @property
    def fallback(self) -> bool:
        return self.doc.lang != self.lang

    @property
    def outdated(self) -> bool:
        return self.doc is not self.source and self.doc.meta.source_revision != self.source.revision

    @property
    def content_lang(self) -> str:
        return self.doc.lang

    @property
    def meta(self) -> ModuleMeta:
        return self.doc.meta

    @property
    def title(self) -> str:
        return self.doc.meta.title or self.source.meta.title or self.slug

    @property
    def summary(self) -> str:
        return self.doc.meta.summary or self.source.meta.summary

    @property
    def objectives(self) -> tuple[str, ...]:
        return self.doc.meta.objectives or self.source.meta.objectives

    @property
    def duration(self) -> int | None:
        return self.source.meta.duration

    @property
    def competencies(self) -> tuple[str, ...]:
        return self.source.meta.competencies

    @property
    def safety_critical(self) -> tuple[str, ...]:
        return self.source.meta.safety_critical

    @property
    def section_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sections)

    @property
    def revision(self) -> str:
        """Revision of everything shown: the file, and the site's adaptation if any."""
        parts = [self.doc.revision] + ([self.overlay.revision] if self.overlay else [])
        return parts[0] if len(parts) == 1 else hashlib.sha256("+".join(parts).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class RenderedModule:
    view: ModuleView
    intro_html: str
    sections: tuple[RenderedSection, ...]


def _merge_sections(
    source_sections: tuple[Section, ...], doc: ModuleDoc, overlay: ModuleDoc | None
) -> tuple[PlacedSection, ...]:
    placed = [PlacedSection(s, doc) for s in source_sections]
    if overlay is None:
        return tuple(placed)
    for section in overlay.sections:
        index = next((i for i, p in enumerate(placed) if p.id == section.id), None)
        if index is not None:
            placed[index] = PlacedSection(section, overlay)
            continue
        after = overlay.meta.add_after.get(section.id)
        at = next((i + 1 for i, p in enumerate(placed) if p.id == after), len(placed))
        placed.insert(at, PlacedSection(section, overlay))
    return tuple(placed)


class CurriculumStore:
    """Access to one curriculum folder; safe to share between threads."""

    def __init__(self, root: Path | str, render_cache_size: int = 512):
        self.root = Path(root).resolve()
        self._docs: _FileCache[ModuleDoc] = _FileCache()
        self._yaml: _FileCache[tuple[Any, str]] = _FileCache()
        self._rendered: OrderedDict[tuple, Any] = OrderedDict()
        self._render_cache_size = render_cache_size
        self._render_lock = threading.Lock()

    # -- files ---------------------------------------------------------------

    def relpath(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def _yaml_file(self, path: Path) -> tuple[Any, str] | None:
        return self._yaml.get(
            path, lambda data: (load_yaml(data.decode("utf-8"), self.relpath(path)), revision_of(data))
        )

    def module_path(self, slug: str, lang: str, site: str | None = None) -> Path:
        base = self.root / "sites" / site if site else self.root
        return base / "modules" / slug / f"{lang}.md"

    def doc(self, slug: str, lang: str, site: str | None = None) -> ModuleDoc | None:
        path = self.module_path(slug, lang, site)
        rel = self.relpath(path)
        return self._docs.get(path, lambda data: parse_module(data, slug=slug, lang=lang, path=rel), lambda d: d.ok)

    # -- curriculum, sites, framework ---------------------------------------

    def meta(self) -> CurriculumMeta:
        loaded = self._yaml_file(self.root / "curriculum.yaml")
        data, revision = loaded if loaded else ({}, "")
        data = data if isinstance(data, dict) else {}
        titles = data.get("title") if isinstance(data.get("title"), dict) else {}
        source = str(data.get("source_language") or "en")
        languages = tuple(str(x) for x in data.get("languages") or [source])
        return CurriculumMeta(
            id=str(data.get("id") or "curriculum"),
            titles=MappingProxyType({str(k): str(v) for k, v in titles.items()}),
            source_language=source,
            languages=languages if source in languages else (source, *languages),
            modules=tuple(str(x) for x in data.get("modules") or []),
            revision=revision,
        )

    def sites(self) -> dict[str, Site]:
        sites: dict[str, Site] = {}
        folder = self.root / "sites"
        if not folder.is_dir():
            return sites
        meta = self.meta()
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if not entry.is_dir():
                continue
            loaded = self._yaml_file(Path(entry.path) / "site.yaml")
            if loaded is None or not isinstance(loaded[0], dict):
                continue
            data, revision = loaded
            languages = tuple(str(x) for x in data.get("languages") or [] if str(x) in meta.languages)
            default = str(data.get("default_language") or (languages[0] if languages else meta.source_language))
            raw_name = data.get("name")
            # ``name`` is one string, or a mapping of language to name (as curriculum.yaml's ``title``).
            names = {str(k): str(v) for k, v in raw_name.items() if v} if isinstance(raw_name, dict) else {}
            name = (names.get(default) or next(iter(names.values()), "")) if names else str(raw_name or "")
            sites[entry.name] = Site(
                id=entry.name,
                name=name or entry.name,
                names=tuple(names.items()),
                default_language=default,
                languages=languages or (default,),
                timezone=str(data.get("timezone") or "UTC"),
                revision=revision,
            )
        return sites

    def site(self, site_id: str | None) -> Site | None:
        return self.sites().get(site_id) if site_id else None

    def modules_by_competency(self) -> dict[str, tuple[str, ...]]:
        meta = self.meta()
        result: dict[str, list[str]] = {}
        for slug in meta.modules:
            source = self.doc(slug, meta.source_language)
            for comp in source.meta.competencies if source else ():
                result.setdefault(comp, []).append(slug)
        return {k: tuple(v) for k, v in result.items()}

    def framework(self, lang: str) -> Framework:
        meta = self.meta()
        folder = self.root / "competencies"
        structure = self._yaml_file(folder / "framework.yaml")
        source = self._yaml_file(folder / f"{meta.source_language}.yaml")
        text = self._yaml_file(folder / f"{lang}.yaml") if lang != meta.source_language else source
        source_revision = source[1] if source else ""
        outdated = bool(
            text
            and lang != meta.source_language
            and isinstance(text[0], dict)
            and str(text[0].get("source_revision")) != source_revision
        )
        return build_framework(
            lang,
            structure[0] if structure else {},
            text[0] if text else {},
            source[0] if source else {},
            meta.source_language,
            self.modules_by_competency(),
            fallback=text is None,
            outdated=outdated,
        )

    def framework_revision(self) -> str:
        """Revision of the framework files, recorded with assessments."""
        folder = self.root / "competencies"
        parts = [self._yaml_file(folder / name) for name in ("framework.yaml", f"{self.meta().source_language}.yaml")]
        return hashlib.sha256("+".join(p[1] for p in parts if p).encode()).hexdigest()[:12]

    # -- modules ---------------------------------------------------------------

    def overlay(self, slug: str, lang: str, site: Site | None) -> ModuleDoc | None:
        if site is None:
            return None
        for candidate in dict.fromkeys((lang, site.default_language, self.meta().source_language)):
            doc = self.doc(slug, candidate, site.id)
            if doc is not None:
                return doc
        return None

    def module(self, slug: str, lang: str, site: str | Site | None = None) -> ModuleView | None:
        meta = self.meta()
        if slug not in meta.modules:
            return None
        source = self.doc(slug, meta.source_language)
        if source is None:
            return None
        doc = self.doc(slug, lang) if lang != meta.source_language else source
        if doc is None or doc.section_ids_differ(source):
            doc = source
        site_obj = self.site(site) if isinstance(site, str) else site
        overlay = self.overlay(slug, lang, site_obj)
        return ModuleView(
            slug=slug,
            lang=lang,
            doc=doc,
            source=source,
            overlay=overlay,
            sections=_merge_sections(doc.sections, doc, overlay),
            position=meta.modules.index(slug),
            total=len(meta.modules),
        )

    def modules(self, lang: str, site: str | Site | None = None) -> list[ModuleView]:
        site_obj = self.site(site) if isinstance(site, str) else site
        views = (self.module(slug, lang, site_obj) for slug in self.meta().modules)
        return [v for v in views if v is not None]

    def neighbours(self, view: ModuleView) -> tuple[str | None, str | None]:
        order = self.meta().modules
        i = order.index(view.slug)
        return (order[i - 1] if i > 0 else None, order[i + 1] if i + 1 < len(order) else None)

    # -- rendering -------------------------------------------------------------

    def _cached(self, key: tuple, make: Callable[[], T]) -> T:
        with self._render_lock:
            if key in self._rendered:
                self._rendered.move_to_end(key)
                return self._rendered[key]
        value = make()
        with self._render_lock:
            self._rendered[key] = value
            while len(self._rendered) > self._render_cache_size:
                self._rendered.popitem(last=False)
        return value

    def _context(self, doc: ModuleDoc, style: Style) -> LinkContext:
        return LinkContext(doc.slug, (self.root.parent / doc.path).parent, style)

    def render(
        self,
        view: ModuleView,
        audience: Audience,
        style: Style = "web",
        labels: Labels | Callable[[str], Labels] = DEFAULT_LABELS,
    ) -> RenderedModule:
        """HTML of a module, cached per file revision, audience, medium and labels.

        ``labels`` may be a function of a language: each section's block labels are then in the
        language that section is written in (a site's section may differ from the module around it).
        """

        def labels_for(lang: str) -> tuple[Labels, str]:
            chosen = labels(lang) if callable(labels) else labels
            return chosen, hashlib.sha256(repr(sorted(chosen.items())).encode()).hexdigest()[:8]

        def section_html(placed: PlacedSection) -> RenderedSection:
            section_labels, label_key = labels_for(placed.doc.lang)
            key = ("section", placed.doc.path, placed.doc.revision, placed.id, audience, style, label_key)
            return self._cached(
                key, lambda: render_section(placed.section, audience, section_labels, self._context(placed.doc, style))
            )

        intro_labels, intro_label_key = labels_for(view.doc.lang)
        intro_key = ("intro", view.doc.path, view.doc.revision, audience, style, intro_label_key)
        intro = self._cached(
            intro_key, lambda: render_intro(view.doc.intro, audience, intro_labels, self._context(view.doc, style))
        )
        return RenderedModule(view, intro, tuple(section_html(p) for p in view.sections))
