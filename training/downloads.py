"""One way to send a generated file (CSV, PDF, JSON) as a download."""

from __future__ import annotations

import io
import re

from flask import Response, send_file

# Letters and digits of any script, dot, hyphen, underscore; anything else becomes a hyphen.
_UNSAFE = re.compile(r"[^\w.-]+")


def safe_filename(name: str) -> str:
    """A file name fit for a header: no quotes, slashes, spaces or control characters, never empty."""
    cleaned = _UNSAFE.sub("-", name).strip("-.")
    return cleaned[:150] or "download"


def download(body: str | bytes, filename: str, mimetype: str) -> Response:
    """Send ``body`` as an attachment. Werkzeug writes the Content-Disposition header (RFC 6266:
    an ASCII ``filename`` plus a UTF-8 ``filename*`` when the name is not ASCII)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return send_file(
        io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=True,
        download_name=safe_filename(filename),
        max_age=0,
    )


def csv_download(body: str, filename: str) -> Response:
    return download(body, filename, "text/csv")  # Werkzeug adds "; charset=utf-8" to text types


def pdf_download(body: bytes, filename: str) -> Response:
    return download(body, filename, "application/pdf")
