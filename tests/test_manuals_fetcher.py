"""The PDF renderer reads our own files and nothing else: no network, no other file on the server."""

from __future__ import annotations

import socket

import pytest

from training.manuals.pdf import FetchRefused, LocalFetcher, render_pdf

from .manuals_support import reader


@pytest.fixture
def roots(tmp_path):
    allowed = tmp_path / "allowed"
    (allowed / "images").mkdir(parents=True)
    (allowed / "images" / "dot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    )
    secret = tmp_path / "secret.txt"
    secret.write_text("not for manuals")
    (allowed / "images" / "link.svg").symlink_to(secret)
    return allowed, secret


def test_serves_files_inside_the_roots(roots):
    allowed, _ = roots
    fetcher = LocalFetcher([allowed])
    response = fetcher.fetch((allowed / "images" / "dot.svg").as_uri())
    assert response.read().startswith(b"<svg")
    assert response.content_type == "image/svg+xml"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/logo.png",
        "https://example.org/style.css",
        "ftp://example.org/file",
        "data:text/plain,hello",
        "file://otherhost/etc/hostname",
        "file:///etc/hostname",
    ],
)
def test_refuses_the_network_and_other_schemes(roots, url):
    with pytest.raises(FetchRefused):
        LocalFetcher([roots[0]]).fetch(url)


def test_refuses_files_outside_the_roots_however_they_are_named(roots):
    allowed, secret = roots
    fetcher = LocalFetcher([allowed])
    for url in (
        secret.as_uri(),
        (allowed / "images" / ".." / ".." / "secret.txt").as_uri(),
        (allowed / "images" / "%2e%2e" / ".." / "secret.txt").as_uri(),
        (allowed / "images" / "link.svg").as_uri(),  # a symlink pointing out
        (allowed / "images" / "missing.png").as_uri(),
    ):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 5


def test_a_document_cannot_reach_out_or_embed_other_files(roots, monkeypatch):
    allowed, secret = roots
    connections = []

    def no_network(self, address):
        connections.append(address)
        raise OSError("network used during a PDF render")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    html = f"""<html><head>
      <link rel="stylesheet" href="http://127.0.0.1:9/evil.css">
      <link rel="attachment" href="{secret.as_uri()}">
    </head><body>
      <p>Text</p>
      <img src="http://127.0.0.1:9/tracker.png" alt="">
      <img src="{secret.as_uri()}" alt="">
      <a rel="attachment" href="file:///etc/passwd">passwords</a>
      <img src="{(allowed / "images" / "dot.svg").as_uri()}" alt="dot">
    </body></html>"""
    result = render_pdf(html, [allowed])
    assert connections == []
    pdf = reader(result.pdf)
    assert pdf.attachments == {}
    assert b"not for manuals" not in result.pdf
    assert any("refused" in w or "Failed" in w for w in result.warnings)
