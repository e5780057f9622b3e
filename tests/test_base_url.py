"""Certificates carry the public address: production needs BASE_URL, and the QR code says the same as the text."""

from __future__ import annotations

import subprocess

import pytest

from training.config import ConfigError, from_environment
from training.qr import qr_svg

from .conftest import make_app
from .test_certificates import issue, pdf_text

PUBLIC = "https://training.example.org"


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("PEERPATH_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.delenv("BASE_URL", raising=False)


def test_production_refuses_to_start_without_base_url(production, tmp_path):
    with pytest.raises(ConfigError, match="BASE_URL must be set"):
        from_environment(tmp_path)


@pytest.mark.parametrize(
    "bad", ["training.example.org", "ftp://training.example.org", "http://127.0.0.1:5000", "https://localhost/"]
)
def test_production_refuses_a_base_url_nobody_else_can_open(production, monkeypatch, tmp_path, bad):
    monkeypatch.setenv("BASE_URL", bad)
    with pytest.raises(ConfigError, match="BASE_URL"):
        from_environment(tmp_path)


def test_production_starts_with_a_public_base_url(production, monkeypatch, tmp_path):
    monkeypatch.setenv("BASE_URL", PUBLIC + "/")
    assert from_environment(tmp_path)["BASE_URL"] == PUBLIC


def _qr_targets(pdf: bytes, tmp_path) -> list[str]:
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "c.pdf"), str(tmp_path / "page")], check=True)
    images = sorted(str(p) for p in tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "--quiet", "--raw", *images], capture_output=True, text=True)
    return [line for line in found.stdout.splitlines() if line.strip()]


@pytest.fixture
def app(database_url, tmp_path):
    """The shared fixtures (people, client) on an app with a public BASE_URL."""
    return make_app(database_url, tmp_path, BASE_URL=PUBLIC)


def test_certificate_qr_and_text_point_to_the_public_address(app, people, client, tmp_path):
    cert_id, code = issue(app, client, people)
    pdf = client.get(f"/certificates/{cert_id}.pdf").data
    target = f"{PUBLIC}/verify/{code}"
    assert target in pdf_text(pdf, tmp_path).replace("\n", "")
    assert _qr_targets(pdf, tmp_path) == [target]
    assert "127.0.0.1" not in pdf_text(pdf, tmp_path)
    # The decoder is real: the same URL regenerated as a QR code is what the PDF carries.
    assert qr_svg(target, box_size=4) == qr_svg(_qr_targets(pdf, tmp_path)[0], box_size=4)
