"""Static files are fingerprinted and cached for a year; personal pages are never stored."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .conftest import login

STATIC = Path(__file__).resolve().parent.parent / "training" / "static"


def _stylesheet_url(html: str) -> str:
    match = re.search(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert match, "no stylesheet link"
    return match.group(1).replace("&amp;", "&")


def test_signed_in_stylesheet_is_immutable_and_journal_is_not_stored(app, people, client):
    login(client, people.trainee)
    journal = client.get("/en/journal")
    assert journal.status_code == 200
    assert journal.headers["Cache-Control"] == "no-store"
    url = _stylesheet_url(journal.get_data(as_text=True))
    digest = hashlib.sha256((STATIC / "css" / "site.css").read_bytes()).hexdigest()
    assert re.search(r"[?&]v=([0-9a-f]+)", url).group(1) == digest[: len(re.search(r"v=([0-9a-f]+)", url).group(1))]
    with client.get(url) as css:
        assert css.status_code == 200
        cache = {part.strip() for part in css.headers["Cache-Control"].split(",")}
        assert {"public", "max-age=31536000", "immutable"} <= cache, css.headers["Cache-Control"]
        assert "no-store" not in cache


def test_unfingerprinted_or_outdated_static_urls_are_revalidated(app, people, client):
    login(client, people.trainee)
    for url in ("/static/css/site.css", "/static/css/site.css?v=0000000000"):
        with client.get(url) as css:
            assert css.status_code == 200
            assert "immutable" not in css.headers.get("Cache-Control", ""), url
            assert "no-store" not in css.headers.get("Cache-Control", ""), url


def test_every_static_link_in_a_page_is_fingerprinted(app, people, client):
    login(client, people.trainee)
    html = client.get("/en/journal").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert links and all("v=" in link for link in links), links


def test_curriculum_images_stay_cacheable_when_signed_in(fixture_app, people):
    client = fixture_app.test_client()
    with client.get("/en/modules/basics/images/tree.png") as anonymous:
        assert anonymous.status_code == 200
    login(client, "trainee")
    with client.get("/en/modules/basics/images/tree.png") as image:
        assert image.status_code == 200
        assert image.headers["Cache-Control"] == "public, max-age=3600"
