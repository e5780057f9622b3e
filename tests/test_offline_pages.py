"""The installable web app: module pages saved by the service worker open with the connection gone."""

from __future__ import annotations

import json
import re

import pytest

from .test_browser import SHOTS, browser, server, sign_in  # noqa: F401 - shared fixtures


def test_manifest_and_worker_come_from_the_site_itself(client):
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert worker.mimetype == "text/javascript"
    assert "importScripts" not in worker.get_data(as_text=True)  # nothing from another host
    manifest = client.get("/manifest.webmanifest", headers={"Accept-Language": "he"})
    assert manifest.mimetype == "application/manifest+json"
    data = json.loads(manifest.get_data(as_text=True))
    assert data["start_url"] == "/he/" and data["lang"] == "he" and data["display"] == "standalone"
    page = client.get("/en/modules/communication/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert re.search(r'<script src="/static/js/offline\.js\?v=[0-9a-f]+" defer></script>', page)
    assert 'id="offline-notice" class="wrap notice" role="status" hidden' in page


def test_signing_out_tells_the_browser_to_drop_saved_pages(app, client, people):
    from .conftest import login

    login(client, people.trainee)
    token_page = client.get("/account")
    assert token_page.status_code == 200
    from .conftest import csrf_token

    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


@pytest.mark.browser
def test_module_pages_open_offline_after_one_visit_and_go_at_sign_out(browser, server):  # noqa: F811
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        sign_in(page, server, "lena.elbtal")
        page.goto(f"{server}/de/")
        # The worker saves every module page of the reader's language, then says so.
        page.wait_for_selector("html[data-offline-saved='1']", state="attached", timeout=60000)
        assert page.locator("#offline-notice").is_hidden()

        context.set_offline(True)
        page.goto(f"{server}/de/modules/communication/")  # never opened before
        assert page.locator("h1").inner_text()
        notice = page.locator("#offline-notice")
        notice.wait_for(state="visible")
        assert "offline" in notice.inner_text().lower() or "Offline" in notice.inner_text()
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "offline-module-de.png"))

        context.set_offline(False)
        page.goto(f"{server}/de/")
        page.click("form[action='/logout'] button")
        page.wait_for_url(f"{server}/**")
        # Clear-Site-Data emptied the cache; the next page may register the worker again, but the
        # pages saved while signed in (with this trainee's marks and form tokens) are gone.
        saved = page.evaluate(
            "caches.keys().then(keys => Promise.all(keys.map(k => caches.open(k).then(c => c.keys()))))"
            ".then(lists => lists.flat().map(r => r.url))"
        )
        assert not [url for url in saved if "/modules/" in url], saved
    finally:
        context.close()
