"""Fingerprinted static files: ``url_for('static', ...)`` carries a content hash, cached for a year.

Every ``url_for('static', filename=...)`` (templates included) gets ``v=<hash of the
file>`` added by a URL default, so no template has to remember it. A request whose
``v`` matches the file's current hash is answered ``public, max-age=31536000,
immutable``: a phone on a slow link fetches the stylesheet once, and a new version
has a new URL. Any other static request must be revalidated (``no-cache``).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from flask import Flask, Response, request

IMMUTABLE = "public, max-age=31536000, immutable"
SHARED_CONTENT = frozenset({"learning.module_image"})  # not personal: cacheable for signed-in readers too
HASH_LENGTH = 12

_lock = threading.Lock()
_hashes: dict[Path, tuple[tuple[int, int], str]] = {}


def fingerprint(folder: str, filename: str) -> str | None:
    """A short hash of a static file's content (cached until the file changes); None if missing."""
    base = Path(folder).resolve()
    path = (base / filename).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    st = path.stat()
    key = (st.st_mtime_ns, st.st_size)
    cached = _hashes.get(path)
    if cached and cached[0] == key:
        return cached[1]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
    with _lock:
        _hashes[path] = (key, digest)
    return digest


def init_app(app: Flask) -> None:
    @app.url_defaults
    def add_fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values and app.static_folder:
            digest = fingerprint(app.static_folder, values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def cache_static(response: Response) -> Response:
        # Registered before the security headers' hook, so it runs after it and has the last word.
        if request.endpoint in SHARED_CONTENT and response.status_code == 200:
            # Curriculum images are the same for everyone: signed in or not, a phone keeps them.
            response.headers["Cache-Control"] = "public, max-age=3600"
            return response
        if request.endpoint != "static" or response.status_code != 200 or not app.static_folder:
            return response
        wanted = request.view_args.get("filename", "") if request.view_args else ""
        if request.args.get("v") and request.args.get("v") == fingerprint(app.static_folder, wanted):
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response
