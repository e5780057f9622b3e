"""Small self-contained PDFs (certificates, sign-off sheets, attendance registers) rendered by WeasyPrint.

These pages embed everything they show (QR codes as SVG, installed fonts), so
the URL fetcher refuses every request: such a PDF never reads a file or the network.
The shared print stylesheet (one font stack for every script, no slanted scripts
without italics, no stray list or table lines) is read here and handed to
WeasyPrint directly, and the exact text layer for shaped scripts is switched on,
as for the manuals.
"""

from __future__ import annotations

from functools import cache

from .config import PROJECT_ROOT

BASE_STYLESHEET = PROJECT_ROOT / "training" / "static" / "css" / "print-base.css"


def _refusing_fetcher():
    from weasyprint.urls import URLFetcher

    class RefuseAll(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"self-contained PDFs fetch nothing (asked for {url[:80]!r})")

    return RefuseAll()


@cache
def _base_css():
    from weasyprint import CSS

    return CSS(string=BASE_STYLESHEET.read_text(encoding="utf-8"))


def self_contained_pdf(html: str) -> bytes:
    """PDF bytes of a page that names no outside resource, with the shared print stylesheet."""
    from weasyprint import HTML

    from . import actualtext

    actualtext.install()
    document = HTML(string=html, url_fetcher=_refusing_fetcher(), base_url="about:blank")
    # Given as a user stylesheet: it cascades below the template's own rules (sizes, margins), which refine it.
    return document.write_pdf(stylesheets=[_base_css()], custom_metadata=True)


def css_string(text: str) -> str:
    """A CSS string literal that is safe inside a <style> element."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ").replace("<", "\\3C ").replace(">", "\\3E ")
    )
    return f'"{escaped}"'
