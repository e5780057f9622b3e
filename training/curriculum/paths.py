"""One rule for reading curriculum files: the resolved path must stay inside the curriculum folder.

``send_from_directory`` and ``Path.is_relative_to`` refuse ``..`` but follow
symbolic links, so a link in ``modules/<slug>/images/`` pointing at the
database or ``/etc/passwd`` would be served. Every reader of curriculum files
(the image route, the module loader, the PDF fetcher) asks here instead, and
``flask curriculum check`` reports every link as an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def is_inside(root: Path | str, path: Path | str) -> bool:
    """Whether ``path``, with every symbolic link followed, is ``root`` or below it."""
    try:
        return Path(path).resolve().is_relative_to(Path(root).resolve())
    except (OSError, RuntimeError, ValueError):  # link loops, NUL bytes
        return False


def resolve_inside(root: Path | str, relative: Path | str) -> Path | None:
    """The regular file ``relative`` names under ``root``, resolved; None if missing or outside."""
    try:
        base = Path(root).resolve()
        path = (base / relative).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


def symlinks(root: Path | str) -> Iterator[tuple[Path, bool]]:
    """Every symbolic link under ``root`` (not followed), with whether its target stays inside."""
    base = Path(root)
    for folder, dirs, files in os.walk(base, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(folder) / name
            if path.is_symlink():
                yield path, is_inside(base, path)
