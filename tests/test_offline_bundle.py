"""`flask offline bundle`: a zip holding a static site that opens from file:// with no server."""

from __future__ import annotations

import html
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from training.curriculum import CurriculumStore

from .conftest import REAL_CURRICULUM, make_app
from .test_browser import browser  # noqa: F401 - shared fixture

SHOTS = Path(__file__).resolve().parent.parent / "test-results"


class _Refs(HTMLParser):
    """Every URL a page refers to, the ids it defines, and whether it has a script."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.loads: list[str] = []  # fetched by the browser on opening: images, stylesheets
        self.ids: set[str] = set()
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "script":
            self.scripts += 1
        if tag == "a" and a.get("href") is not None:
            self.links.append(a["href"])
        if tag in ("img", "source", "audio", "video", "iframe", "embed") and "src" in a:
            self.loads.append(a["src"] or "")
        if tag == "link" and a.get("href"):
            self.loads.append(a["href"])


def parse(path: Path) -> _Refs:
    refs = _Refs()
    refs.feed(path.read_text("utf-8"))
    return refs


def unzip(data_or_path, folder: Path) -> Path:
    with zipfile.ZipFile(data_or_path) as archive:
        archive.extractall(folder)
    return folder


def build(runner, tmp_path: Path, name: str, *args: str) -> Path:
    target = tmp_path / name
    result = runner.invoke(args=["offline", "bundle", *args, "--output", str(target)])
    assert result.exit_code == 0, result.output
    return target


def text_of(folder: Path) -> str:
    """All visible text of every page, tags removed, entities decoded, spaces collapsed."""
    parts = []
    for page in sorted(folder.rglob("*.html")):
        parts.append(html.unescape(re.sub(r"<[^>]+>", " ", page.read_text("utf-8"))))
    return re.sub(r"\s+", " ", " ".join(parts))


def check_self_contained(folder: Path) -> int:
    """Every link, image and stylesheet resolves to a file (and anchor) inside the folder; no scripts."""
    pages = sorted(folder.rglob("*.html"))
    problems, checked = [], 0
    parsed = {p.resolve(): parse(p) for p in pages}
    for page, refs in parsed.items():
        if refs.scripts:
            problems.append(f"{page.name}: has a script")
        for url in refs.loads:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or not parts.path:
                problems.append(f"{page.relative_to(folder.resolve())}: loads {url!r}")
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.is_file() or not target.is_relative_to(folder.resolve()):
                problems.append(f"{page.relative_to(folder.resolve())}: missing {url}")
            checked += 1
        for url in refs.links:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "mailto"):
                continue  # a link the reader may follow when online; nothing is fetched on opening
            if parts.scheme or parts.netloc:
                problems.append(f"{page.name}: link {url!r}")
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file() or not target.is_relative_to(folder.resolve()):
                problems.append(f"{page.relative_to(folder.resolve())}: dead link {url}")
            elif parts.fragment and parts.fragment not in parsed[target].ids:
                problems.append(f"{page.relative_to(folder.resolve())}: no #{parts.fragment} in {target.name}")
            checked += 1
    assert not problems, "\n".join(problems[:20])
    return checked


def trainer_only_phrases(lang: str) -> list[str]:
    """A phrase from every trainer note and assessment kit in ``lang`` (the source files, as written)."""
    store = CurriculumStore(REAL_CURRICULUM)
    phrases = []
    for slug in store.meta().modules:
        doc = store.doc(slug, lang)
        if doc is None:
            continue
        for block in doc.blocks():
            if block.type == "trainer":
                lines = [re.sub(r"[*_`#>\[\]-]", "", line).strip() for line in block.plain_text().splitlines()]
                longest = max(lines, key=len)
                if len(longest) >= 30:
                    phrases.append(re.sub(r"\s+", " ", longest)[:30])
    framework = store.framework(lang)
    for competency in framework.competencies:
        phrases += [re.sub(r"\s+", " ", scenario.text)[:30] for scenario in competency.scenarios]
    return phrases


def test_trainee_bundle_is_a_self_contained_site_without_trainer_text(app, runner, tmp_path):
    zipped = build(runner, tmp_path, "trainee.zip", "--lang", "he,gu", "--audience", "trainee")
    folder = unzip(zipped, tmp_path / "trainee")
    assert (folder / "index.html").is_file()
    for lang in ("he", "gu"):
        assert (folder / lang / "index.html").is_file()
        assert (folder / lang / "competencies.html").is_file()
        for slug in CurriculumStore(REAL_CURRICULUM).meta().modules:
            assert (folder / lang / f"{slug}.html").is_file()
    assert check_self_contained(folder) > 100
    start = (folder / "he" / "index.html").read_text("utf-8")
    assert '<html lang="he" dir="rtl">' in start
    assert re.search(r"[0-9a-f]{12}", start)  # the revision
    assert 'href="../gu/index.html"' in start  # the language switcher
    module = (folder / "gu" / "communication.html").read_text("utf-8")
    assert '<html lang="gu" dir="ltr">' in module and 'class="block block-reflection"' in module

    everything = text_of(folder)
    for lang in ("he", "gu"):
        phrases = trainer_only_phrases(lang)
        assert phrases, f"no trainer text found in the {lang} sources to look for"
        leaked = [p for p in phrases if p in everything]
        assert not leaked, leaked[:5]
    assert "block-trainer" not in everything and "block-trainer" not in "".join(
        p.read_text("utf-8") for p in folder.rglob("*.html")
    )

    # The same phrases are in a trainer bundle: the check above can fail.
    trainer = unzip(build(runner, tmp_path, "trainer.zip", "--lang", "he", "--audience", "trainer"), tmp_path / "tr")
    trainer_text = text_of(trainer)
    phrases = trainer_only_phrases("he")
    found = [p for p in phrases if p in trainer_text]
    assert len(found) == len(phrases), set(phrases) - set(found)
    check_self_contained(trainer)


def test_site_bundle_has_the_overlay_and_only_chosen_modules(app, runner, tmp_path):
    zipped = build(
        runner, tmp_path, "galil.zip", "--lang", "he", "--audience", "trainee", "--site", "galil",
        "--modules", "crisis-safety,communication",
    )  # fmt: skip
    folder = unzip(zipped, tmp_path / "galil")
    assert sorted(p.name for p in (folder / "he").glob("*.html")) == [
        "communication.html",
        "competencies.html",
        "crisis-safety.html",
        "index.html",
    ]
    page = (folder / "he" / "crisis-safety.html").read_text("utf-8")
    assert "section-local" in page  # the site's own section
    assert "גליל" in (folder / "he" / "index.html").read_text("utf-8")
    check_self_contained(folder)


def test_images_are_stored_once_for_all_languages(database_url, tmp_path):
    curriculum = tmp_path / "curriculum"
    shutil.copytree(REAL_CURRICULUM, curriculum)
    images = curriculum / "modules" / "communication" / "images"
    images.mkdir()
    (images / "circle.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    for lang in ("en", "he"):
        path = curriculum / "modules" / "communication" / f"{lang}.md"
        text = path.read_text("utf-8")
        # Add the image to the first paragraph after the first section heading.
        head = re.search(r"^## .*$", text, re.M)
        assert head
        path.write_text(text[: head.end()] + "\n\n![circle](images/circle.svg)\n" + text[head.end() :], "utf-8")
    runner = make_app(database_url, tmp_path, curriculum).test_cli_runner()
    zipped = build(runner, tmp_path, "img.zip", "--lang", "en,he", "--audience", "trainee")
    names = zipfile.ZipFile(zipped).namelist()
    assert [n for n in names if n.endswith(".svg")] == ["images/modules/communication/images/circle.svg"]
    folder = unzip(zipped, tmp_path / "img")
    assert (
        'src="../images/modules/communication/images/circle.svg"' in (folder / "he" / "communication.html").read_text()
    )
    check_self_contained(folder)


def test_bad_choices_name_the_option(app, runner, tmp_path):
    cases = [
        (["--lang", "xx", "--audience", "trainee"], "--lang"),
        (["--lang", "he", "--audience", "trainee", "--site", "nowhere"], "--site"),
        (["--lang", "de", "--audience", "trainee", "--site", "galil"], "--lang"),
        (["--lang", "he", "--audience", "trainee", "--modules", "nope"], "--modules"),
        (["--lang", "he", "--audience", "coach"], "--audience"),
    ]
    for args, option in cases:
        result = runner.invoke(args=["offline", "bundle", *args, "--output", str(tmp_path / "x.zip")])
        assert result.exit_code == 2, result.output
        assert option in result.output, result.output
        assert not (tmp_path / "x.zip").exists()


def test_one_language_trainee_bundle_is_small_and_repeatable(app, runner, tmp_path):
    first = build(runner, tmp_path, "a.zip", "--lang", "gu", "--audience", "trainee").read_bytes()
    second = build(runner, tmp_path, "b.zip", "--lang", "gu", "--audience", "trainee").read_bytes()
    assert first == second  # same content, same day: the same bytes
    assert len(first) < 3 * 1024 * 1024


# -- in a real browser, from file:// -------------------------------------------


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("bundle")
    app = make_app(f"sqlite:///{tmp / 'b.db'}", tmp)
    zipped = build(app.test_cli_runner(), tmp, "he-gu.zip", "--lang", "he,gu,en", "--audience", "trainee")
    return unzip(zipped, tmp / "site")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["he", "gu"])
def test_pages_open_from_file_urls_without_network(browser, bundle_dir, lang):  # noqa: F811
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    try:
        page.goto((bundle_dir / "index.html").as_uri())
        page.click(f"a[hreflang={lang}]")
        assert page.url.endswith(f"/{lang}/index.html")
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "he" else "ltr")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"offline-bundle-start-{lang}.png"))
        page.click("a[href='communication.html']")
        assert page.url.endswith(f"/{lang}/communication.html")
        # The stylesheet applied: the top bar has the accent colour, not a transparent background.
        assert page.eval_on_selector(".top", "e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
        page.screenshot(path=str(SHOTS / f"offline-bundle-module-{lang}.png"))
        page.click("a[hreflang=en]")
        assert page.url.endswith("/en/communication.html")
        assert all(url.startswith("file://") for url in requests), [u for u in requests if not u.startswith("file")]
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("path", ["index.html", "he/index.html", "he/communication.html", "gu/peer-role.html"])
def test_bundle_pages_pass_axe(browser, bundle_dir, path):  # noqa: F811
    from .test_accessibility import axe_violations

    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto((bundle_dir / path).as_uri())
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in axe_violations(page)
            if v["impact"] in ("serious", "critical")
        ]
        assert not serious, "\n".join(serious)
    finally:
        context.close()
