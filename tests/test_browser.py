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
    # Done takes the reader on to the next section, not back to the top of this one.
    assert page.url.endswith("/de/modules/peer-role/#what-is-peer-support")
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


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory) -> Iterator[str]:
    """The demo on a copy of the curriculum whose English communication module changed after its Hebrew translation."""
    from training.curriculum import CurriculumStore
    from training.extensions import db
    from training.translations.models import TranslatorGrant

    tmp = tmp_path_factory.mktemp("desk")
    root = tmp / "curriculum"
    shutil.copytree(Path(__file__).resolve().parent.parent / "curriculum", root)
    app = make_app(f"sqlite:///{tmp / 'desk.db'}", tmp, curriculum=root)
    CurriculumStore(root, revisions=app.config["SOURCE_REVISIONS_DIR"]).doc("communication", "en")  # keep it
    source = root / "modules/communication/en.md"
    source.write_text(source.read_text().replace("shapes everything after it", "shapes what comes after it"))
    with app.app_context():
        load_demo()
        from sqlalchemy import select

        from training.accounts.models import User

        noa = db.session.scalar(select(User).where(User.login == "coordinator.galil"))
        db.session.add(TranslatorGrant(user_id=noa.id, lang="he", may_approve=True))
        db.session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)
    httpd.server_close()


def test_side_by_side_in_hebrew(browser, desk_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, desk_server, "coordinator.galil")
    page.goto(f"{desk_server}/desk/")
    cell = page.locator("td.state-outdated a", has_text="1")
    assert cell.count() == 1, page.locator("table.desk").inner_text()
    cell.click()
    assert page.url.endswith("/desk/communication/he")
    changed = page.locator(".sbs-changed")
    assert changed.count() == 1
    section_id = changed.get_attribute("id")
    assert section_id == "s-first-meetings"
    assert page.locator(f"#{section_id} .diff del").inner_text() == "everything"
    assert page.locator(f"#{section_id} .diff ins").inner_text() == "what comes"
    target = page.locator(f"#{section_id} .sbs-target")
    source_column = page.locator(f"#{section_id} .sbs-source")
    assert target.get_attribute("lang") == "he"
    assert target.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert source_column.evaluate("e => getComputedStyle(e).direction") == "ltr"
    # Two columns side by side: same top, different sides; the Hebrew heading starts at its column's right edge.
    t, s = target.bounding_box(), source_column.bounding_box()
    assert abs(t["y"] - s["y"]) < 2 and abs(t["x"] - s["x"]) > 300
    heading = target.locator("h2")
    heading_range = heading.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e); const b = r.getBoundingClientRect();"
        " return [b.left, b.right]; }"
    )
    assert abs(heading_range[1] - (t["x"] + t["width"])) < 24
    # Ids are shown as plain, left-to-right text, never as form fields.
    ids = target.locator(".ids code").first
    assert ids.inner_text().startswith("#") and target.locator("input, textarea").count() == 0
    # Role blocks keep their type label in the translation column.
    assert page.locator(".sbs-target .block-kind").count() >= 1
    page.locator(f"#{section_id}").scroll_into_view_if_needed()
    shot(page, "desk-side-by-side-he")
    context.close()
