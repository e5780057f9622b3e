"""Module pages through the Flask test client: languages, direction, notices, trainer notes, health."""

from __future__ import annotations

import re

import pytest

from .conftest import login


@pytest.fixture
def fclient(fixture_app):
    return fixture_app.test_client()


def test_root_redirects_by_accept_language(fclient):
    assert fclient.get("/", headers={"Accept-Language": "he,en;q=0.5"}).headers["Location"] == "/he/"
    assert fclient.get("/", headers={"Accept-Language": "fr"}).headers["Location"] == "/en/"


def test_index_lists_modules_with_summary_duration_competencies(fclient):
    html = fclient.get("/en/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    assert "Basics" in html and "The first steps." in html and "Listening" in html
    assert "1 hour 30 minutes" in html
    assert '<abbr title="Hope">A1</abbr>' in html


def test_module_page_has_objectives_toc_anchors_and_pager(fclient):
    html = fclient.get("/en/modules/basics/").get_data(as_text=True)
    assert "Know the role." in html
    assert '<a href="#role">What peers do</a>' in html
    assert '<section class="section" id="limits"' in html
    assert 'rel="next" href="/en/modules/listening/"' in html
    assert "Keep time." not in html  # anonymous readers are not trainers


def test_hebrew_page_is_right_to_left_with_hebrew_ui(fclient):
    html = fclient.get("/he/modules/basics/").get_data(as_text=True)
    assert '<html lang="he" dir="rtl">' in html
    assert '<article class="module" lang="he" dir="rtl">' in html
    assert "יסודות" in html


def test_fallback_notice_in_reader_language(fclient):
    html = fclient.get("/he/modules/listening/").get_data(as_text=True)
    assert '<article class="module" lang="en" dir="ltr">' in html
    assert "notice-fallback" in html


def test_outdated_notice(fixture_app, fclient, tmp_path):
    store = fixture_app.extensions["curriculum"]
    view = store.module("basics", "he")
    assert not view.outdated
    html = fclient.get("/he/modules/basics/").get_data(as_text=True)
    assert "notice-outdated" not in html


def test_language_switcher_keeps_the_page(fclient):
    html = fclient.get("/en/modules/listening/").get_data(as_text=True)
    assert 'href="/he/modules/listening/" lang="he" dir="rtl" hreflang="he"' in html


def test_unknown_language_module_and_image_are_404_pages(fclient):
    for url in (
        "/xx/",
        "/en/modules/nothing/",
        "/en/modules/basics/images/none.png",
        "/en/modules/basics/images/../en.md",
    ):
        response = fclient.get(url)
        assert response.status_code == 404, url
        assert "Traceback" not in response.get_data(as_text=True)


def test_module_image_is_served(fclient):
    with fclient.get("/en/modules/basics/images/tree.png") as response:
        assert response.status_code == 200 and response.data.startswith(b"\x89PNG")


def test_healthz(fclient):
    response = fclient.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok" and response.get_json()["database"] == "ok"


def test_healthz_reports_database_down(tmp_path):
    from .conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    (tmp_path / "db.sqlite").unlink()
    (tmp_path / "db.sqlite").mkdir()  # a directory where the database file should be
    from training.extensions import db

    with app.app_context():
        db.engine.dispose()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


def test_pages_are_small_and_self_contained(client):
    html = client.get("/en/modules/communication/").get_data(as_text=True)
    assert not re.search(r'(src|href)="https?://', html)  # no CDN, no web fonts
    # One script, the offline helper (the pages work without it): from this site, never inline.
    scripts = re.findall(r"<script[^>]*>[^<]*</script>", html)
    assert len(scripts) == 1 and re.fullmatch(
        r'<script src="/static/js/offline\.js\?v=[0-9a-f]+" defer></script>', scripts[0]
    )
    assert html.count("<script") == 1
    with client.get("/static/css/site.css") as response:
        css = response.get_data(as_text=True)
    assert "margin-left" not in css and "padding-left" not in css and "text-align: left" not in css
    assert len(html.encode()) < 120_000


def test_security_headers(client):
    response = client.get("/en/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_trainer_sees_trainer_notes_trainee_does_not(client, people):
    login(client, people.trainer)
    assert "block-trainer" in client.get("/de/modules/peer-role/").get_data(as_text=True)
    client.post("/logout")
    login(client, people.trainee)
    response = client.get("/de/modules/peer-role/")
    assert response.status_code == 200
    assert "block-trainer" not in response.get_data(as_text=True)


def test_user_language_setting_wins_over_url(client, people, app):
    from training.accounts.models import User
    from training.extensions import db

    with app.app_context():
        user = db.session.get(User, people.trainee.id)
        user.language = "sw"
        db.session.commit()
    login(client, people.trainee)
    response = client.get("/en/modules/peer-role/")
    assert response.status_code == 302 and response.headers["Location"] == "/sw/modules/peer-role/"
    switched = client.post("/language", data={"language": "de", "next": "/sw/modules/peer-role/"})
    assert switched.headers["Location"] == "/de/modules/peer-role/"
    with app.app_context():
        assert db.session.get(User, people.trainee.id).language == "de"
    assert client.get("/de/modules/peer-role/").status_code == 200


def test_language_switch_refuses_foreign_next(client, people):
    login(client, people.trainee)
    response = client.post("/language", data={"language": "de", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_translation_status_page(client, people):
    login(client, people.coordinator)
    html = client.get("/translations").get_data(as_text=True)
    assert 'class="state-outdated"' in html and 'class="state-missing"' in html and 'class="state-ok"' in html
    client.post("/logout")
    login(client, people.trainee)
    assert client.get("/translations").status_code == 404
