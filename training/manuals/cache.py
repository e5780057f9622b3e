"""Built manuals on disk, keyed by a hash of everything that goes into them.

The key covers the options (kind, language, site, modules, paper), the
revision of every file shown (module, source, site overlay, site settings,
curriculum titles, competency texts), the images, the printed labels and the
template version (print templates, stylesheet, document code, WeasyPrint).
Any change gives a new key, so a stale manual is never served; the entry it
replaces is deleted when the new one is written, and anything unused for
``max_age`` or beyond ``max_bytes`` is pruned.

Files are written to a temporary name and renamed, so a reader never sees
half a PDF, and two processes writing the same key both leave a whole file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from dataclasses import asdict
from functools import cache
from importlib.metadata import version
from pathlib import Path

from ..curriculum import CurriculumStore, ModuleView
from . import document
from .labels import PrintLabels
from .options import ManualOptions

_file_hashes: dict[Path, tuple[tuple[int, int, int], str]] = {}
_hash_lock = threading.Lock()


def file_hash(path: Path) -> str:
    """Content hash of a file, remembered while its (mtime, size, inode) stay the same."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "-"
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    known = _file_hashes.get(path)
    if known and known[0] == stamp:
        return known[1]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    with _hash_lock:
        _file_hashes[path] = (stamp, digest)
    return digest


def folder_hash(folder: Path) -> list[list[str]]:
    if not folder.is_dir():
        return []
    return [[str(p.relative_to(folder)), file_hash(p)] for p in sorted(folder.rglob("*")) if p.is_file()]


@cache
def _weasyprint_version() -> str:
    # From the package metadata: importing WeasyPrint takes about a second, and only renders need it.
    return version("weasyprint")


def template_version() -> str:
    """Changes whenever the print templates, the stylesheet, the document code or WeasyPrint change."""
    files = [*sorted(document.TEMPLATE_DIR.glob("*")), document.STYLESHEET]
    parts = [document.DOCUMENT_VERSION, _weasyprint_version(), *(f"{p.name}:{file_hash(p)}" for p in files)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _module_inputs(store: CurriculumStore, view: ModuleView, site: str | None) -> list:
    images = folder_hash(store.root / "modules" / view.slug / "images")
    if site:
        images += folder_hash(store.root / "sites" / site / "modules" / view.slug / "images")
    return [
        view.slug,
        view.doc.revision,
        view.source.revision,
        view.overlay.revision if view.overlay else None,
        images,
    ]


def manual_inputs(store: CurriculumStore, options: ManualOptions, labels: PrintLabels) -> dict:
    """Everything a manual is made from, as plain data (what the key hashes)."""
    site = store.site(options.site)
    views = document.chosen_views(store, options, site)
    competencies = []
    if options.kind == "manual":
        folder = store.root / "competencies"
        names = ["framework.yaml", f"{store.meta().source_language}.yaml", f"{options.lang}.yaml"]
        competencies = [file_hash(folder / name) for name in dict.fromkeys(names)]
    return {
        "options": asdict(options),
        "curriculum": store.meta().revision,
        "site": site.revision if site else None,
        "modules": [_module_inputs(store, v, options.site) for v in views],
        "competencies": competencies,
        "labels": [dict(labels.text), {k: dict(v) for k, v in labels.blocks.items()}, labels.counter_style],
        "template": template_version(),
    }


def manual_key(store: CurriculumStore, options: ManualOptions, labels: PrintLabels) -> str:
    data = json.dumps(manual_inputs(store, options, labels), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def slot_of(options: ManualOptions) -> str:
    """Which manual this is, whatever its content: a newer key for the same slot supersedes the older."""
    data = json.dumps(asdict(options), sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:12]


class ManualCache:
    """PDF files named ``<slot>-<key>.pdf`` in one folder (may be shared storage)."""

    def __init__(self, folder: Path | str, max_bytes: int = 2 * 1024**3, max_age_seconds: float = 30 * 86400):
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.max_age_seconds = max_age_seconds

    def path(self, options: ManualOptions, key: str) -> Path:
        return self.folder / f"{slot_of(options)}-{key}.pdf"

    def get(self, options: ManualOptions, key: str) -> Path | None:
        path = self.path(options, key)
        try:
            os.utime(path)  # last use, for pruning
        except FileNotFoundError:
            return None
        return path

    def put(self, options: ManualOptions, key: str, data: bytes) -> Path:
        """Write atomically, then delete the entries this one supersedes."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(options, key)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".pdf")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        for old in self.folder.glob(f"{slot_of(options)}-*.pdf"):
            if old != path:
                with contextlib.suppress(FileNotFoundError):
                    old.unlink()
        return path

    def prune(self, now: float | None = None) -> list[Path]:
        """Delete entries unused for ``max_age_seconds``, then the least recently used beyond ``max_bytes``."""
        now = time.time() if now is None else now
        if not self.folder.is_dir():
            return []
        removed: list[Path] = []
        entries = []
        for path in self.folder.iterdir():
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            if path.name.startswith(".tmp-"):
                if now - st.st_mtime > 3600:  # left by a writer that died
                    removed.append(path)
            elif path.suffix == ".pdf":
                if now - st.st_mtime > self.max_age_seconds:
                    removed.append(path)
                else:
                    entries.append((st.st_mtime, st.st_size, path))
        entries.sort(reverse=True)  # most recently used first
        total = 0
        for _, size, path in entries:
            total += size
            if total > self.max_bytes:
                removed.append(path)
        for path in removed:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return removed
