"""The manuals pages: who may print what, a progress page without JavaScript, download, failure, retry."""

from __future__ import annotations

import re

import pytest

from training.extensions import db
from training.manuals import jobs
from training.manuals.isolation import InlineRenderer
from training.manuals.models import BuildStatus, ManualBuild

from .conftest import login
from .manuals_support import FakeRenderer, reader


@pytest.fixture
def renderer(app, ctx):
    fake = FakeRenderer()
    app.extensions["manual_renderer"] = fake
    app.extensions["manual_queue"] = jobs.SyncQueue()
    return fake


class HoldingQueue:
    """Keeps builds queued, as if the worker were busy."""

    def __init__(self):
        self.submitted = []

    def submit(self, build_id):
        self.submitted.append(build_id)


def ask(client, **form):
    data = {"kind": "workbook", "lang": "en", "paper": "a4", **form}
    return client.post("/manuals/", data=data)


def build_id(response) -> int:
    match = re.search(r"/manuals/builds/(\d+)/", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def test_trainees_and_strangers_cannot_see_manuals(client, people, renderer):
    assert client.get("/manuals/").status_code == 302  # sign in first
    login(client, people.trainee)
    assert client.get("/manuals/").status_code == 404
    assert ask(client).status_code == 404
    assert client.get("/manuals/builds/1/").status_code == 404
    page = client.get("/en/").get_data(as_text=True)
    assert 'href="/manuals/"' not in page


def test_staff_see_the_nav_link_and_the_form(client, people, renderer):
    login(client, people.trainer)
    page = client.get("/manuals/").get_data(as_text=True)
    assert 'href="/manuals/"' in page
    assert "Genesungsbegleitung Elbtal" in page  # their site, fixed
    assert 'value="de"' in page and 'value="en"' in page and 'value="he"' not in page
    assert 'name="site"' in page and "galil" not in page


def test_a_trainer_builds_for_their_own_site_only(client, people, renderer):
    login(client, people.trainer)
    response = ask(client, site="galil", lang="en")  # another site's id is ignored
    build = db.session.get(ManualBuild, build_id(response))
    assert build.site_id == "elbtal"
    assert renderer.calls == 1 and "Genesungsbegleitung Elbtal" in renderer.htmls[0]


def test_admins_print_for_any_site_or_none(client, people, renderer):
    login(client, people.admin)
    galil = db.session.get(ManualBuild, build_id(ask(client, site="galil", lang="he", kind="manual")))
    generic = db.session.get(ManualBuild, build_id(ask(client, site="", lang="gu")))
    assert (galil.site_id, galil.lang, galil.kind) == ("galil", "he", "manual")
    assert (generic.site_id, generic.lang) == (None, "gu")


def test_a_language_the_site_does_not_offer_is_refused(client, people, renderer):
    login(client, people.trainer)
    response = ask(client, lang="he")
    assert response.status_code == 200 and renderer.calls == 0
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_builds_of_another_site_are_hidden(app, client, people, renderer):
    login(client, people.foreign_trainer)
    theirs = build_id(ask(client, lang="he"))
    client.post("/logout")
    login(client, people.trainer)
    assert client.get(f"/manuals/builds/{theirs}/").status_code == 404
    assert client.get(f"/manuals/builds/{theirs}/pdf").status_code == 404
    assert client.post(f"/manuals/builds/{theirs}/retry").status_code == 404
    assert f"/manuals/builds/{theirs}/" not in client.get("/manuals/").get_data(as_text=True)


def test_done_build_downloads_the_pdf(client, people, renderer):
    login(client, people.coordinator)
    response = ask(client, kind="handouts", modules=["peer-role"])
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Refresh" not in page.headers
    assert "Download PDF" in page.get_data(as_text=True)
    with client.get(response.headers["Location"] + "pdf") as pdf:
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert pdf.data.startswith(b"%PDF")
        assert pdf.headers["Content-Disposition"] == "attachment; filename=peerpath-handouts-en-elbtal-peer-role-a4.pdf"


def test_a_waiting_build_shows_progress_and_refreshes_itself(app, client, people, renderer):
    app.extensions["manual_queue"] = HoldingQueue()
    login(client, people.trainer)
    url = ask(client).headers["Location"]
    build = db.session.get(ManualBuild, build_id_from(url))
    build.status, build.progress = BuildStatus.RUNNING, 42
    db.session.commit()
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.headers["Refresh"] == "2"  # reloads without JavaScript
    assert '<progress id="progress" max="100" value="42">' in html and "42%" in html
    # Progress needs no script: the only one is the site-wide offline helper.
    # The one script is the site's own offline helper (its URL carries the file's content hash).
    assert html.count("<script") == 1
    assert re.search(r'<script src="/static/js/offline\.js\?v=[0-9a-f]+" defer></script>', html)
    # A second person asking for the same manual joins this build.
    client.post("/logout")
    login(client, people.coordinator)
    assert ask(client).headers["Location"] == url


def build_id_from(url: str) -> int:
    return int(re.search(r"/builds/(\d+)/", url).group(1))


def test_a_failed_build_shows_why_and_can_be_retried(app, ctx, client, people):
    app.extensions["manual_renderer"] = FakeRenderer(fail=OSError("No space left on device"))
    app.extensions["manual_queue"] = jobs.SyncQueue()
    login(client, people.trainer)
    url = ask(client).headers["Location"]
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert "Refresh" not in page.headers
    assert "OSError: No space left on device" in html and "Try again" in html
    app.extensions["manual_renderer"] = FakeRenderer()
    retried = client.post(url + "retry")
    assert retried.status_code == 302
    assert "Download PDF" in client.get(url).get_data(as_text=True)


def test_a_pruned_download_builds_again(app, client, people, renderer):
    import shutil

    login(client, people.trainer)
    url = ask(client).headers["Location"]
    shutil.rmtree(app.config["MANUAL_CACHE_DIR"])
    response = client.get(url + "pdf")
    assert response.status_code == 302 and renderer.calls == 2
    with client.get(response.headers["Location"] + "pdf") as pdf:
        assert pdf.data.startswith(b"%PDF")


@pytest.mark.slow
def test_end_to_end_with_the_real_renderer(app, ctx, client, people):
    app.extensions["manual_renderer"] = InlineRenderer()
    app.extensions["manual_queue"] = jobs.SyncQueue()
    login(client, people.trainer)
    url = ask(client, kind="manual", lang="en", modules=["peer-role"]).headers["Location"]
    with client.get(url + "pdf") as pdf:
        data = pdf.data
    document = reader(data)
    assert document.metadata.title.startswith(
        "Peer Support Worker Training — Trainer manual — Elbtal Peer Support"  # the site's English name
    )
    assert len(document.pages) > 5
