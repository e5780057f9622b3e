"""The certificate as a one-page PDF, rendered by WeasyPrint from a self-contained page.

The page embeds its QR code as SVG and uses installed fonts, so the URL
fetcher refuses everything: a certificate build never reads a file or the network.
"""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import force_locale

from ..curriculum import direction
from ..qr import qr_svg
from .models import Certificate


def _refusing_fetcher():
    from weasyprint.urls import URLFetcher

    class RefuseAll(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"certificate rendering fetches nothing (asked for {url[:80]!r})")

    return RefuseAll()


def verification_url(code: str) -> str:
    base = current_app.config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return base + url_for("assessments.verify", code=code)


def certificate_pdf(certificate: Certificate, site_name: str, competencies: list[tuple[str, str]]) -> bytes:
    from weasyprint import HTML

    lang = certificate.language
    with force_locale(lang):
        html = render_template(
            "print/certificate.html",
            certificate=certificate,
            site_name=site_name,
            competencies=competencies,
            lang=lang,
            dir=direction(lang),
            verify_url=verification_url(certificate.code),
            qr=qr_svg(verification_url(certificate.code), box_size=4),
        )
    return HTML(string=html, url_fetcher=_refusing_fetcher(), base_url="about:blank").write_pdf(custom_metadata=True)
