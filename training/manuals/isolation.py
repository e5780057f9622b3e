"""Where a manual is rendered: in a child process that is thrown away afterwards, or (RQ, tests) right here.

WeasyPrint does not give memory back after a large render (issues #1950,
#220): a 400-page manual leaves a process at ~350 MB. Rendering in a child
that exits after ``tasks_per_child`` renders keeps the web and worker
processes small. Progress comes back through a small file the child
rewrites, which the parent polls.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # WeasyPrint and multiprocessing are imported when a PDF is rendered, not when the app starts
    from concurrent.futures import ProcessPoolExecutor

    from .pdf import ProgressCallback, RenderResult


class RenderError(RuntimeError):
    """The renderer itself failed (crashed, killed), as opposed to the document."""


class Renderer(Protocol):
    def render(
        self,
        html: str,
        roots: Iterable[Path | str],
        *,
        on_progress: ProgressCallback | None = None,
        pages_estimate: int = 50,
    ) -> RenderResult: ...


class InlineRenderer:
    """Renders in the calling process: for RQ work-horses (a fresh process per job already) and tests."""

    def render(self, html, roots, *, on_progress=None, pages_estimate=50) -> RenderResult:
        from .pdf import render_pdf

        return render_pdf(html, roots, on_progress=on_progress, pages_estimate=pages_estimate)


def _write_progress(path: str, percent: int) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(str(percent))
    os.replace(tmp, path)


def _watch_parent(parent_pid: int, interval: float = 2.0) -> None:
    """Pool initializer: leave when the parent is gone (killed web server), instead of idling forever."""

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _render_in_child(html: str, roots: list[str], pages_estimate: int, progress_path: str | None) -> RenderResult:
    from .pdf import render_pdf

    report = (lambda p: _write_progress(progress_path, p)) if progress_path else None
    return render_pdf(html, roots, on_progress=report, pages_estimate=pages_estimate)


class ProcessRenderer:
    """Renders in a pool of spawned children, each replaced after ``tasks_per_child`` renders."""

    def __init__(self, max_workers: int = 1, tasks_per_child: int = 1, poll_seconds: float = 0.25):
        self.max_workers = max(1, max_workers)
        self.tasks_per_child = max(1, tasks_per_child)
        self.poll_seconds = poll_seconds
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def pool(self) -> ProcessPoolExecutor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with self._lock:
            if self._pool is None:
                # spawn, not fork: the parent has threads and database connections a fork would copy.
                self._pool = ProcessPoolExecutor(
                    max_workers=self.max_workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    max_tasks_per_child=self.tasks_per_child,
                    initializer=_watch_parent,
                    initargs=(os.getpid(),),
                )
                atexit.register(self.shutdown)
            return self._pool

    def submit(
        self, html: str, roots: Iterable[Path | str], pages_estimate: int = 50, progress_path: str | None = None
    ):
        return self.pool().submit(_render_in_child, html, [str(r) for r in roots], pages_estimate, progress_path)

    def render(self, html, roots, *, on_progress=None, pages_estimate=50) -> RenderResult:
        from concurrent.futures.process import BrokenProcessPool

        progress_path = None
        if on_progress:
            fd, progress_path = tempfile.mkstemp(prefix="peerpath-progress-")
            os.close(fd)
        try:
            future = self.submit(html, roots, pages_estimate, progress_path)
            last = -1
            while True:
                try:
                    return future.result(timeout=self.poll_seconds)
                except FutureTimeout:
                    if progress_path:
                        last = self._report(progress_path, last, on_progress)
        except BrokenProcessPool as exc:
            self.reset()
            raise RenderError("the PDF renderer process stopped unexpectedly (out of memory?)") from exc
        finally:
            if progress_path:
                for path in (progress_path, f"{progress_path}.tmp"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)

    @staticmethod
    def _report(path: str, last: int, on_progress) -> int:
        try:
            percent = int(Path(path).read_text() or -1)
        except (OSError, ValueError):
            return last
        if percent > last:
            on_progress(percent)
        return max(percent, last)

    def reset(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
