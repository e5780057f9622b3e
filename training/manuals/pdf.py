"""HTML to PDF with WeasyPrint, reading nothing but our own files.

WeasyPrint fetches every stylesheet, image and attachment a document names,
through a URL fetcher. Ours serves regular files inside a few folders (the
curriculum and the static folder) and refuses everything else: other
``file://`` paths, ``http(s)``, ``data:`` and any other scheme, so no
manual, whatever its content, can reach the network or embed a file from
elsewhere on the server.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import resource
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.logger import LOGGER, PROGRESS_LOGGER
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..curriculum.paths import resolve_inside
from . import actualtext

log = logging.getLogger(__name__)
ProgressCallback = Callable[[int], None]


class FetchRefused(PermissionError):
    """A URL the PDF renderer may not read."""


class LocalFetcher(URLFetcher):
    """Serves regular files under ``roots`` and refuses every other URL."""

    def __init__(self, roots: Iterable[Path | str]):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=False)
        self.roots = tuple(Path(r).resolve() for r in roots)
        self.refused: list[str] = []

    def resolve(self, url: str) -> Path:
        """The local file a URL names, if it may be read; FetchRefused otherwise."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused {url[:200]!r}: only local files are read")
        wanted = Path(unquote(parts.path))
        # Resolved with symbolic links followed: a link out of a root is refused.
        for root in self.roots if wanted.is_absolute() else ():
            if (path := resolve_inside(root, wanted)) is not None:
                return path
        raise FetchRefused(f"refused {url[:200]!r}: not a file inside the curriculum and static folders")

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        try:
            path = self.resolve(url)
        except FetchRefused as exc:
            self.refused.append(url)
            log.warning("pdf: %s", exc)
            raise
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": mime})


@dataclass
class RenderResult:
    pdf: bytes
    pages: int
    seconds: float
    peak_rss_mb: float
    warnings: list[str] = field(default_factory=list)


class _Progress(logging.Handler):
    """Turns WeasyPrint's progress log into 0–100, laying out pages being most of the work."""

    def __init__(self, callback: ProgressCallback, pages_estimate: int):
        super().__init__(logging.INFO)
        self.callback = callback
        self.pages = max(1, pages_estimate)
        self.last = -1

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Step 5") and "Page" in message and "Repagination" not in message:
            page = int(message.split("Page ")[1].split()[0])
            percent = 10 + int(75 * min(page, self.pages) / self.pages)
        elif message.startswith("Step 5") and "Repagination" in message:
            percent = 86
        elif message.startswith("Step 6"):
            percent = 90
        elif message.startswith("Step 7"):
            percent = 95
        else:
            percent = {"Step 1": 2, "Step 2": 4, "Step 3": 6, "Step 4": 8}.get(message[:6], self.last)
        if percent > self.last:
            self.last = percent
            self.callback(percent)


class _Collect(logging.Handler):
    """WeasyPrint's warnings for this render (missing glyphs, refused URLs, bad CSS)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def render_pdf(
    html: str,
    roots: Iterable[Path | str],
    *,
    base_url: str | None = None,
    on_progress: ProgressCallback | None = None,
    pages_estimate: int = 50,
) -> RenderResult:
    """Render one HTML document to PDF bytes in this process."""
    started = time.perf_counter()
    actualtext.install()
    fetcher = LocalFetcher(roots)
    collect = _Collect()
    progress = _Progress(on_progress, pages_estimate) if on_progress else None
    # Warnings and progress come from WeasyPrint's loggers; a logging.config.fileConfig()
    # elsewhere in the process (Alembic's env.py does one) may have disabled them.
    saved = [
        (LOGGER, LOGGER.disabled, LOGGER.level),
        (PROGRESS_LOGGER, PROGRESS_LOGGER.disabled, PROGRESS_LOGGER.level),
    ]
    LOGGER.disabled = False
    LOGGER.addHandler(collect)
    if progress:
        PROGRESS_LOGGER.disabled = False
        PROGRESS_LOGGER.addHandler(progress)
        PROGRESS_LOGGER.setLevel(logging.INFO)
    try:
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(font_config=FontConfiguration())
        pdf = document.write_pdf()
    finally:
        LOGGER.removeHandler(collect)
        if progress:
            PROGRESS_LOGGER.removeHandler(progress)
        for logger, disabled, level in saved:
            logger.disabled, logger.level = disabled, level
    return RenderResult(
        pdf=pdf,
        pages=len(document.pages),
        seconds=time.perf_counter() - started,
        peak_rss_mb=peak_rss_mb(),
        warnings=collect.messages,
    )


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if os.uname().sysname == "Darwin" else peak / 1024
