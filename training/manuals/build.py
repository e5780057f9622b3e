"""Options in, a PDF file out: from the cache when nothing changed, rendered otherwise.

The one code path the CLI, the web's build jobs and the benchmark share.
Needs an app context (the labels come from the UI catalogs).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app

from .. import dates
from ..curriculum import CurriculumStore, Site
from . import document
from .cache import ManualCache, manual_key
from .isolation import InlineRenderer, ProcessRenderer, Renderer
from .labels import PrintLabels, print_labels
from .options import ManualOptions

if TYPE_CHECKING:  # WeasyPrint is imported where a PDF is rendered, not when the app starts
    from .pdf import ProgressCallback


@dataclass(frozen=True)
class Prepared:
    """A manual's options with its labels and cache key: cheap, no rendering."""

    options: ManualOptions
    labels: PrintLabels
    key: str


@dataclass(frozen=True)
class BuiltManual:
    options: ManualOptions
    key: str
    path: Path
    cached: bool
    pages: int | None = None
    seconds: float = 0.0
    peak_rss_mb: float | None = None
    warnings: tuple[str, ...] = ()


def site_today(site: Site | None) -> date:
    """Today where the site is (the date printed on the cover)."""
    return dates.site_today(site.timezone if site else None)


class ManualBuilder:
    def __init__(
        self,
        store: CurriculumStore,
        cache: ManualCache,
        renderer: Renderer,
        roots: tuple[Path, ...],
        today: Callable[[Site | None], date] = site_today,
    ):
        self.store = store
        self.cache = cache
        self.renderer = renderer
        self.roots = roots
        self.today = today

    def prepare(self, options: ManualOptions) -> Prepared:
        labels = print_labels(options.lang, (self.store.meta().source_language,))
        return Prepared(options, labels, manual_key(self.store, options, labels))

    def cached(self, prepared: Prepared) -> Path | None:
        return self.cache.get(prepared.options, prepared.key)

    def document(self, prepared: Prepared) -> document.ManualDocument:
        site = self.store.site(prepared.options.site)
        return document.build_html(self.store, prepared.options, prepared.labels, today=self.today(site))

    def build(
        self, options: ManualOptions | Prepared, on_progress: ProgressCallback | None = None, force: bool = False
    ) -> BuiltManual:
        """The manual's file: from the cache if its key is there (unless ``force``), rendered otherwise."""
        started = time.perf_counter()
        prepared = options if isinstance(options, Prepared) else self.prepare(options)
        if not force and (path := self.cached(prepared)) is not None:
            return BuiltManual(prepared.options, prepared.key, path, cached=True, seconds=time.perf_counter() - started)
        doc = self.document(prepared)
        if on_progress:
            on_progress(5)
        result = self.renderer.render(
            doc.html,
            self.roots,
            pages_estimate=doc.pages_estimate,
            on_progress=(lambda p: on_progress(max(5, min(p, 99)))) if on_progress else None,
        )
        path = self.cache.put(prepared.options, prepared.key, result.pdf)
        return BuiltManual(
            prepared.options,
            prepared.key,
            path,
            cached=False,
            pages=result.pages,
            seconds=time.perf_counter() - started,
            peak_rss_mb=result.peak_rss_mb,
            warnings=tuple(result.warnings),
        )


def cache_for(app: Flask) -> ManualCache:
    return ManualCache(
        app.config["MANUAL_CACHE_DIR"],
        max_bytes=int(app.config.get("MANUAL_CACHE_MAX_BYTES") or 2 * 1024**3),
        max_age_seconds=float(app.config.get("MANUAL_CACHE_MAX_AGE_DAYS") or 30) * 86400,
    )


def renderer_for(app: Flask) -> Renderer:
    """One renderer per app: a child-process pool unless MANUAL_RENDER is 'inline'."""
    renderer = app.extensions.get("manual_renderer")
    if renderer is None:
        if app.config.get("MANUAL_RENDER", "process") == "inline":
            renderer = InlineRenderer()
        else:
            renderer = ProcessRenderer(
                max_workers=int(app.config.get("MANUAL_WORKERS") or 1),
                tasks_per_child=int(app.config.get("MANUAL_TASKS_PER_CHILD") or 1),
            )
        renderer = app.extensions.setdefault("manual_renderer", renderer)
    return renderer


def builder_for(app: Flask | None = None, renderer: Renderer | None = None) -> ManualBuilder:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    store: CurriculumStore = app.extensions["curriculum"]
    roots = (store.root, Path(app.static_folder or "").resolve())
    return ManualBuilder(store, cache_for(app), renderer or renderer_for(app), roots)
