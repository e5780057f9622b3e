"""The loaded curriculum: files in, immutable objects and cached HTML out.

One ``CurriculumStore`` serves the web app, the PDF builder and the CLI. What
it reads is held in a snapshot: every file it consulted with the (mtime, size,
inode) it had, and every value derived from them (sites, the curriculum's
metadata, frameworks, module views), each computed once per snapshot. The
files are checked again at most once per ``freshness`` seconds (0: on every
access), or once per request when the caller pins a snapshot for the request's
duration; a change starts a new snapshot, so an edited file is picked up
without a restart. Parsed files are kept across snapshots, so a change costs
one parse. A file that no longer parses is not used: the last good version
keeps being served and the problem is logged once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from .competencies import Framework, build_framework
from .document import ModuleDoc, ModuleMeta, Section, parse_module, revision_of
from .paths import resolve_inside
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
StatKey = tuple[int, int, int]


def _stat_key(path: Path) -> StatKey | None:
    """What tells a changed file (or folder listing) apart; None when it does not exist."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class _FileCache(Generic[T]):
    """Parsed files keyed by path, re-parsed only when (mtime, size, inode) change."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root  # files must resolve inside it (checked when a file is read, not on every hit)
        self._entries: dict[Path, tuple[StatKey, T | None]] = {}
        self._lock = threading.Lock()

    def get(self, path: Path, parse: Callable[[bytes], T], usable: Callable[[T], bool] = lambda _: True) -> T | None:
        return self.load(path, parse, usable)[1]

    def load(
        self, path: Path, parse: Callable[[bytes], T], usable: Callable[[T], bool] = lambda _: True
    ) -> tuple[StatKey | None, T | None]:
        """(the file's stat key, the value to use): the parsed file, or the last good version."""
        key = _stat_key(path)
        if key is None:
            with self._lock:
                self._entries.pop(path, None)
            return None, None
        entry = self._entries.get(path)
        if entry is not None and entry[0] == key:
            return entry
        if self.root is not None and resolve_inside(self.root, path) is None:
            log.warning("curriculum: %s leads outside the curriculum folder; not read", path)
            return key, None
        try:
            value: T | None = parse(path.read_bytes())
        except (ContentError, OSError) as exc:
            log.warning("curriculum: %s; keeping the last good version", exc)
            value = entry[1] if entry else None
        else:
            if not usable(value) and entry is not None:  # type: ignore[arg-type]
                log.warning("curriculum: %s has errors; keeping the last good version", path)
                value = entry[1]
        # Remembered under the new key even when broken: it is parsed (and logged) once per change.
        with self._lock:
            self._entries[path] = (key, value)
        return key, value


class _Snapshot:
    """The files as one check found them, and everything derived from them, each computed once.

    Values are added as they are first asked for and never change afterwards; two
    threads asking at once may both compute one, and both get the one stored first.
    """

    def __init__(self, number: int) -> None:
        self.number = number
        self._files: dict[Path, tuple[StatKey | None, Any]] = {}
        self._memo: dict[Hashable, Any] = {}

    def file(self, path: Path, load: Callable[[], tuple[StatKey | None, T | None]]) -> T | None:
        entry = self._files.get(path)
        if entry is None:
            entry = self._files.setdefault(path, load())
        return entry[1]

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        try:
            return self._memo[key]
        except KeyError:
            return self._memo.setdefault(key, make())

    def changed(self) -> bool:
        """Whether any file consulted so far differs on disk now (one stat per file)."""
        return any(_stat_key(path) != entry[0] for path, entry in self._files.copy().items())


# Snapshots pinned in this thread or task, by store: see CurriculumStore.pin().
_PINS: ContextVar[Mapping[CurriculumStore, _Snapshot]] = ContextVar("curriculum_pins", default=MappingProxyType({}))


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
    name: str
    default_language: str
    languages: tuple[str, ...]
    timezone: str
    revision: str


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

    @cached_property
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

    def __init__(
        self,
        root: Path | str,
        render_cache_size: int = 512,
        freshness: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.root = Path(root).resolve()
        self._docs: _FileCache[ModuleDoc] = _FileCache(self.root)
        self._yaml: _FileCache[tuple[Any, str]] = _FileCache(self.root)
        self._rendered: OrderedDict[tuple, Any] = OrderedDict()
        self._render_cache_size = render_cache_size
        self._render_lock = threading.Lock()
        # Seconds a checked snapshot is used without looking at the files again (0: check every access).
        self.freshness = freshness
        self._clock = clock
        self._snapshot = _Snapshot(1)
        self._checked_at = clock()
        self._check_lock = threading.Lock()

    # -- snapshots -----------------------------------------------------------

    def _current(self) -> _Snapshot:
        pinned = _PINS.get().get(self)
        if pinned is not None:
            return pinned
        snapshot = self._snapshot
        if self.freshness > 0 and self._clock() - self._checked_at < self.freshness:
            return snapshot
        with self._check_lock:
            if self._snapshot is not snapshot:  # another thread has just checked
                return self._snapshot
            if snapshot.changed():
                snapshot = self._snapshot = _Snapshot(snapshot.number + 1)
            self._checked_at = self._clock()
        return snapshot

    @property
    def revision(self) -> int:
        """Number of the snapshot in use: it goes up each time a change to the files is seen."""
        return self._current().number

    def pin(self) -> object:
        """Use one snapshot, checked now, until ``unpin``: one check and one consistent view per request."""
        before = _PINS.get()
        _PINS.set(MappingProxyType({**before, self: self._current()}))
        return before

    def unpin(self, before: object) -> None:
        """End what ``pin`` began; ``before`` is what it returned."""
        _PINS.set(before)  # type: ignore[arg-type]

    @contextmanager
    def pinned(self) -> Iterator[None]:
        before = self.pin()
        try:
            yield
        finally:
            self.unpin(before)

    # -- files ---------------------------------------------------------------
    # Public methods take the current snapshot once and hand it down, so one answer
    # never mixes two snapshots and the files are checked once per call at most.

    def relpath(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def _yaml_file(self, snap: _Snapshot, path: Path) -> tuple[Any, str] | None:
        return snap.file(
            path,
            lambda: self._yaml.load(
                path, lambda data: (load_yaml(data.decode("utf-8"), self.relpath(path)), revision_of(data))
            ),
        )

    def _folders(self, snap: _Snapshot, folder: Path) -> tuple[str, ...]:
        """Names of the sub-folders, sorted; a folder's stat key changes when entries come or go."""

        def load() -> tuple[StatKey | None, tuple[str, ...]]:
            key = _stat_key(folder)
            try:
                names = sorted(e.name for e in os.scandir(folder) if e.is_dir())
            except OSError:
                return None, ()
            return key, tuple(names)

        return snap.file(folder, load) or ()

    def module_path(self, slug: str, lang: str, site: str | None = None) -> Path:
        base = self.root / "sites" / site if site else self.root
        return base / "modules" / slug / f"{lang}.md"

    def doc(self, slug: str, lang: str, site: str | None = None) -> ModuleDoc | None:
        return self._doc(self._current(), slug, lang, site)

    def _doc(self, snap: _Snapshot, slug: str, lang: str, site: str | None = None) -> ModuleDoc | None:
        path = self.module_path(slug, lang, site)
        rel = self.relpath(path)
        return snap.file(
            path,
            lambda: self._docs.load(
                path, lambda data: parse_module(data, slug=slug, lang=lang, path=rel), lambda d: d.ok
            ),
        )

    # -- curriculum, sites, framework ---------------------------------------

    def meta(self) -> CurriculumMeta:
        return self._meta(self._current())

    def _meta(self, snap: _Snapshot) -> CurriculumMeta:
        return snap.memo("meta", lambda: self._build_meta(snap))

    def _build_meta(self, snap: _Snapshot) -> CurriculumMeta:
        loaded = self._yaml_file(snap, self.root / "curriculum.yaml")
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
        return dict(self._sites(self._current()))

    def _sites(self, snap: _Snapshot) -> Mapping[str, Site]:
        return snap.memo("sites", lambda: self._build_sites(snap))

    def _build_sites(self, snap: _Snapshot) -> Mapping[str, Site]:
        sites: dict[str, Site] = {}
        folder = self.root / "sites"
        meta = self._meta(snap)
        for name in self._folders(snap, folder):
            loaded = self._yaml_file(snap, folder / name / "site.yaml")
            if loaded is None or not isinstance(loaded[0], dict):
                continue
            data, revision = loaded
            languages = tuple(str(x) for x in data.get("languages") or [] if str(x) in meta.languages)
            default = str(data.get("default_language") or (languages[0] if languages else meta.source_language))
            sites[name] = Site(
                id=name,
                name=str(data.get("name") or name),
                default_language=default,
                languages=languages or (default,),
                timezone=str(data.get("timezone") or "UTC"),
                revision=revision,
            )
        return MappingProxyType(sites)

    def site(self, site_id: str | None) -> Site | None:
        return self._sites(self._current()).get(site_id) if site_id else None

    def modules_by_competency(self) -> dict[str, tuple[str, ...]]:
        return dict(self._modules_by_competency(self._current()))

    def _modules_by_competency(self, snap: _Snapshot) -> Mapping[str, tuple[str, ...]]:
        def build() -> Mapping[str, tuple[str, ...]]:
            meta = self._meta(snap)
            result: dict[str, list[str]] = {}
            for slug in meta.modules:
                source = self._doc(snap, slug, meta.source_language)
                for comp in source.meta.competencies if source else ():
                    result.setdefault(comp, []).append(slug)
            return MappingProxyType({k: tuple(v) for k, v in result.items()})

        return snap.memo("modules_by_competency", build)

    def framework(self, lang: str) -> Framework:
        snap = self._current()
        if lang not in self._meta(snap).languages:  # kept per snapshot only for the curriculum's languages
            return self._build_framework(snap, lang)
        return snap.memo(("framework", lang), lambda: self._build_framework(snap, lang))

    def _build_framework(self, snap: _Snapshot, lang: str) -> Framework:
        meta = self._meta(snap)
        folder = self.root / "competencies"
        structure = self._yaml_file(snap, folder / "framework.yaml")
        source = self._yaml_file(snap, folder / f"{meta.source_language}.yaml")
        text = self._yaml_file(snap, folder / f"{lang}.yaml") if lang != meta.source_language else source
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
            self._modules_by_competency(snap),
            fallback=text is None,
            outdated=outdated,
        )

    def framework_revision(self) -> str:
        """Revision of the framework files, recorded with assessments."""
        snap = self._current()

        def build() -> str:
            folder = self.root / "competencies"
            names = ("framework.yaml", f"{self._meta(snap).source_language}.yaml")
            parts = [self._yaml_file(snap, folder / name) for name in names]
            return hashlib.sha256("+".join(p[1] for p in parts if p).encode()).hexdigest()[:12]

        return snap.memo("framework_revision", build)

    # -- modules ---------------------------------------------------------------

    def overlay(self, slug: str, lang: str, site: Site | None) -> ModuleDoc | None:
        return self._overlay(self._current(), slug, lang, site)

    def _overlay(self, snap: _Snapshot, slug: str, lang: str, site: Site | None) -> ModuleDoc | None:
        if site is None:
            return None
        for candidate in dict.fromkeys((lang, site.default_language, self._meta(snap).source_language)):
            doc = self._doc(snap, slug, candidate, site.id)
            if doc is not None:
                return doc
        return None

    def module(self, slug: str, lang: str, site: str | Site | None = None) -> ModuleView | None:
        snap = self._current()
        return self._module(snap, slug, lang, self._sites(snap).get(site) if isinstance(site, str) else site)

    def _module(self, snap: _Snapshot, slug: str, lang: str, site: Site | None) -> ModuleView | None:
        meta = self._meta(snap)
        if slug not in meta.modules:
            return None
        if lang not in meta.languages:  # kept per snapshot only for the curriculum's languages
            return self._build_module(snap, slug, lang, site)
        return snap.memo(("module", slug, lang, site), lambda: self._build_module(snap, slug, lang, site))

    def _build_module(self, snap: _Snapshot, slug: str, lang: str, site: Site | None) -> ModuleView | None:
        meta = self._meta(snap)
        source = self._doc(snap, slug, meta.source_language)
        if source is None:
            return None
        doc = self._doc(snap, slug, lang) if lang != meta.source_language else source
        if doc is None or doc.section_ids_differ(source):
            doc = source
        overlay = self._overlay(snap, slug, lang, site)
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
        snap = self._current()
        site_obj = self._sites(snap).get(site) if isinstance(site, str) else site

        def build() -> tuple[ModuleView, ...]:
            views = (self._module(snap, slug, lang, site_obj) for slug in self._meta(snap).modules)
            return tuple(v for v in views if v is not None)

        if lang not in self._meta(snap).languages:
            return list(build())
        return list(snap.memo(("modules", lang, site_obj), build))

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
        labels: Labels = DEFAULT_LABELS,
    ) -> RenderedModule:
        """HTML of a module, cached per file revision, audience, medium and labels."""
        label_key = hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()[:8]

        def section_html(placed: PlacedSection) -> RenderedSection:
            key = ("section", placed.doc.path, placed.doc.revision, placed.id, audience, style, label_key)
            return self._cached(
                key, lambda: render_section(placed.section, audience, labels, self._context(placed.doc, style))
            )

        intro_key = ("intro", view.doc.path, view.doc.revision, audience, style, label_key)
        intro = self._cached(
            intro_key, lambda: render_intro(view.doc.intro, audience, labels, self._context(view.doc, style))
        )
        return RenderedModule(view, intro, tuple(section_html(p) for p in view.sections))
