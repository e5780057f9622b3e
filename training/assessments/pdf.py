"""The certificate as a one-page PDF, rendered from a self-contained page (see printing.py)."""

from __future__ import annotations

from datetime import date

from flask import current_app, render_template, url_for
from flask_babel import force_locale

from ..curriculum import direction
from ..printing import self_contained_pdf
from ..qr import qr_svg
from .models import Certificate


def verification_url(code: str) -> str:
    base = current_app.config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return base + url_for("certificates.verify", code=code)


def certificate_pdf(
    certificate: Certificate, site_name: str, competencies: list[tuple[str, str]], issued_on: date
) -> bytes:
    lang = certificate.language
    with force_locale(lang):
        html = render_template(
            "print/certificate.html",
            certificate=certificate,
            site_name=site_name,
            competencies=competencies,
            issued_on=issued_on,
            lang=lang,
            dir=direction(lang),
            verify_url=verification_url(certificate.code),
            qr=qr_svg(verification_url(certificate.code), box_size=4),
        )
    return self_contained_pdf(html)
