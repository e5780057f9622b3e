"""Small self-contained PDFs (certificates, attendance registers) rendered by WeasyPrint.

These pages embed everything they show (QR codes as SVG, installed fonts), so
the URL fetcher refuses every request: such a PDF never reads a file or the network.
"""

from __future__ import annotations


def _refusing_fetcher():
    from weasyprint.urls import URLFetcher

    class RefuseAll(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"self-contained PDFs fetch nothing (asked for {url[:80]!r})")

    return RefuseAll()


def self_contained_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_refusing_fetcher(), base_url="about:blank").write_pdf(custom_metadata=True)


def css_string(text: str) -> str:
    """A CSS string literal that is safe inside a <style> element."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ").replace("<", "\\3C ").replace(">", "\\3E ")
    )
    return f'"{escaped}"'
