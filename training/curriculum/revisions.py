"""Old versions of source files, found by their revision: from Git history or from PeerPath's own store.

A translation records the revision of the source file it was made from
(``source_revision``, the first 12 hex digits of the file's SHA-256). To show
what changed since then, the old source text is needed again, without any
network: from the Git history when the curriculum folder is a Git checkout,
otherwise from a folder where PeerPath keeps every source revision it has seen.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .document import ID_RE, revision_of

log = logging.getLogger(__name__)

REVISION_RE = re.compile(r"^[0-9a-f]{12}$")
LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
GIT_TIMEOUT = 20  # seconds; a local history read, never the network
GIT_MAX_COMMITS = 2000


@dataclass(frozen=True)
class OldSource:
    """The text of a source file at one revision, and where it was found."""

    data: bytes
    origin: str  # "git <commit>" or "revision store"


class RevisionStore:
    """Source files kept by revision: ``<folder>/<slug>/<lang>/<revision>.md``."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def path(self, slug: str, lang: str, revision: str) -> Path | None:
        # Names come from files and URLs: only well-formed ones ever become a path.
        if not (ID_RE.match(slug) and LANG_RE.match(lang) and REVISION_RE.match(revision)):
            return None
        return self.folder / slug / lang / f"{revision}.md"

    def get(self, slug: str, lang: str, revision: str) -> bytes | None:
        path = self.path(slug, lang, revision)
        try:
            return path.read_bytes() if path else None
        except OSError:
            return None

    def record(self, slug: str, lang: str, data: bytes) -> bool:
        """Keep ``data`` under its revision unless it is kept already; True when written."""
        path = self.path(slug, lang, revision_of(data))
        if path is None or path.exists():
            return False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write beside and rename, so a reader never sees half a file.
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(data)
            partial.replace(path)
        except OSError as exc:
            log.warning("curriculum: cannot keep source revision %s: %s", path, exc)
            return False
        return True


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes | None:
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
            ["git", "-C", str(cwd), *args],  # noqa: S607 - git from PATH, as authors use it
            input=stdin,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def from_git(file: Path, revision: str) -> OldSource | None:
    """The committed version of ``file`` whose content has ``revision``, newest first."""
    folder = file.parent
    if not folder.is_dir():
        return None
    top = _git(folder, "rev-parse", "--show-toplevel")
    if not top:
        return None
    toplevel = Path(top.decode().strip()).resolve()
    try:
        relative = file.resolve().relative_to(toplevel).as_posix()
    except ValueError:
        return None
    # One log listing every blob the file had (renames followed), then one cat-file for them all.
    out = _git(
        toplevel,
        "log",
        f"--max-count={GIT_MAX_COMMITS}",
        "--format=commit %H",
        "--raw",
        "--no-abbrev",
        "--follow",
        "--",
        relative,
    )
    if not out:
        return None
    blobs: list[tuple[str, str]] = []
    commit = ""
    for line in out.decode(errors="replace").splitlines():
        if line.startswith("commit "):
            commit = line.split()[1]
        elif line.startswith(":"):
            fields = line.split("\t")[0].split()
            if len(fields) >= 4 and set(fields[3]) != {"0"}:
                blobs.append((commit, fields[3]))
    if not blobs:
        return None
    batch = _git(toplevel, "cat-file", "--batch", stdin="".join(f"{b}\n" for _, b in blobs).encode())
    if batch is None:
        return None
    position = 0
    for commit, _blob in blobs:
        header_end = batch.index(b"\n", position)
        header = batch[position:header_end].split()
        if len(header) < 3:  # "<blob> missing"
            position = header_end + 1
            continue
        size = int(header[2])
        data = batch[header_end + 1 : header_end + 1 + size]
        position = header_end + 1 + size + 1
        if revision_of(data) == revision:
            return OldSource(data, f"git {commit[:12]}")
    return None


def find_old_source(file: Path, slug: str, lang: str, revision: str, store: RevisionStore | None) -> OldSource | None:
    """The source file at ``revision``: the revision store first (cheap), then Git history."""
    if not REVISION_RE.match(revision or ""):
        return None
    if store is not None:
        data = store.get(slug, lang, revision)
        if data is not None and revision_of(data) == revision:
            return OldSource(data, "revision store")
    return from_git(file, revision)
