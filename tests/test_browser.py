"""Real pages in headless Chromium (Debian's, driven by Playwright): what a trainee on a phone sees."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from training.demo import load_demo
from training.extensions import db

from .conftest import make_app

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "test-results"
DEMO_PASSWORD = "peerpath-demo"


def demo_database(tmp_path_factory) -> Path:
    """A SQLite file with the demo data, made once per session; each server starts on a copy of it."""
    template = tmp_path_factory.getbasetemp() / "demo-template" / "demo.db"
    if not template.exists():
        template.parent.mkdir()
        app = make_app(f"sqlite:///{template}", template.parent)
        with app.app_context():
            load_demo()
            db.session.commit()
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))  # everything into the main file
            db.session.remove()
            db.engine.dispose()
    return template


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser")
    shutil.copyfile(demo_database(tmp_path_factory), tmp / "browser.db")
    app = make_app(f"sqlite:///{tmp / 'browser.db'}", tmp)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make test`, which installs Debian's chromium package")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # A small phone screen, and no JavaScript at all: everything must still work.
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, server: str, login: str) -> None:
    page.goto(f"{server}/login")
    page.fill("#login", login)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_trainee_marks_a_section_done_without_javascript(page, server):
    sign_in(page, server, "paul.elbtal")  # a trainee with no progress yet
    page.goto(f"{server}/de/modules/peer-role/")
    page.locator("#starting-together button[name=done][value='1']").click()
    assert page.url.endswith("/de/modules/peer-role/#starting-together")
    assert page.locator("#starting-together .done").count() == 1
    page.goto(f"{server}/de/")
    assert page.locator(".resume a").get_attribute("href").endswith("#what-is-peer-support")
    shot(page, "trainee-home-de")


def test_hebrew_page_is_mirrored(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{server}/he/modules/peer-role/")
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"
    block = page.locator(".block").first
    # The coloured rule of a block sits on the reading side: the right in Hebrew.
    assert block.evaluate("e => getComputedStyle(e).borderRightWidth") != "0px"
    assert block.evaluate("e => getComputedStyle(e).borderLeftWidth") == "0px"
    shot(page, "module-he")
    context.close()


def test_gujarati_page_renders_and_falls_back_with_notice(page, server):
    page.goto(f"{server}/gu/modules/crisis-safety/")
    assert page.locator("html").get_attribute("lang") == "gu"
    assert page.locator(".notice-fallback").count() == 1
    shot(page, "module-gu-fallback")
    page.goto(f"{server}/gu/modules/peer-role/")
    shot(page, "module-gu")


def test_language_switcher_keeps_the_page(page, server):
    page.goto(f"{server}/en/modules/communication/")
    page.click(".langs a[hreflang=sw]")
    assert page.url.endswith("/sw/modules/communication/")
    assert page.locator("html").get_attribute("lang") == "sw"


def test_trainer_dashboard_and_journal_privacy(browser, server):
    trainee = browser.new_context(java_script_enabled=False).new_page()
    sign_in(trainee, server, "tobias.elbtal")
    trainee.goto(f"{server}/de/modules/peer-role/journal")
    trainee.fill("#body-general", "Nur für mich")
    trainee.locator("#p-general button[type=submit]").click()
    assert "Nur für mich" in trainee.content()
    trainer = browser.new_context(java_script_enabled=False).new_page()
    sign_in(trainer, server, "trainer.elbtal")
    trainer.goto(f"{server}/cohorts/")
    trainer.click("text=Frühjahrskurs 2026")
    assert trainer.locator("tbody tr").count() == 6
    shot(trainer, "trainer-dashboard")
    trainer.click("text=Tobias Krüger")
    assert "Nur für mich" not in trainer.content()
    trainee.context.close()
    trainer.context.close()


def test_keyboard_user_can_skip_to_content(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}/en/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    context.close()
