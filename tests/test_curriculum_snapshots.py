"""Snapshots of the curriculum files: checked once per request or freshness window, never half-built."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path

import pytest

from training.curriculum import CurriculumStore

from .conftest import FIXTURE_CURRICULUM, make_app
from .manuals_support import write_later


@pytest.fixture
def root(tmp_path) -> Path:
    target = tmp_path / "curriculum"
    shutil.copytree(FIXTURE_CURRICULUM, target)
    return target


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    write_later(path, text.replace(old, new, 1))


@pytest.fixture
def stats(monkeypatch, root):
    """Every os.stat of a file under the curriculum folder, in order (Path.stat goes through os.stat)."""
    seen: list[str] = []
    real = os.stat
    prefix = str(root.resolve())

    def counting(path, *args, **kwargs):
        if str(path).startswith(prefix):
            seen.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counting)
    return seen


def test_edit_is_seen_only_after_the_freshness_window(root):
    clock = Clock()
    store = CurriculumStore(root, freshness=1.0, clock=clock)
    assert store.site("testsite").name == "Test Site"
    assert store.module("basics", "en").title == "Basics"
    edit(root / "sites/testsite/site.yaml", "name: Test Site", "name: Renamed Site")
    edit(root / "modules/basics/en.md", "title: Basics", "title: First Steps")
    clock.now += 0.5
    assert store.site("testsite").name == "Test Site"  # inside the window: not looked at
    assert store.module("basics", "en").title == "Basics"
    clock.now += 0.6
    assert store.site("testsite").name == "Renamed Site"
    assert store.module("basics", "en").title == "First Steps"


def test_no_file_is_looked_at_within_the_window_and_each_once_after_it(root, stats):
    clock = Clock()
    store = CurriculumStore(root, freshness=1.0, clock=clock)
    stats.clear()
    store.modules("en", "testsite")
    store.framework("he")
    consulted = list(stats)
    stats.clear()
    for _ in range(20):
        store.meta(), store.sites(), store.framework("he"), store.modules("en", "testsite")
    assert stats == []
    clock.now += 2
    store.meta(), store.sites(), store.framework("he"), store.modules("en", "testsite")
    # One check: every file read before is looked at once, nothing parsed again (the first read
    # also resolved each path to keep it inside the folder, which looks at folders too).
    assert len(stats) == len(set(stats))
    assert set(stats) <= set(consulted)
    assert {path for path in consulted if Path(path).is_file()} <= set(stats)


def test_pinned_snapshot_checks_once_and_does_not_change_underneath(root, stats):
    store = CurriculumStore(root, freshness=0)  # unpinned: every access checks
    store.modules("en", "testsite"), store.framework("en")
    with store.pinned():
        stats.clear()
        for _ in range(10):
            assert store.meta().title("en") == "Fixture Curriculum"
            store.sites(), store.framework("en"), store.modules("en", "testsite")
        assert stats == []
        edit(root / "curriculum.yaml", "en: Fixture Curriculum", "en: Edited Curriculum")
        assert store.meta().title("en") == "Fixture Curriculum"
    assert store.meta().title("en") == "Edited Curriculum"


def test_sites_meta_and_framework_follow_their_files(root):
    store = CurriculumStore(root)
    revision = store.revision
    assert set(store.sites()) == {"testsite"}
    assert store.revision == revision  # nothing changed: the same snapshot

    edit(root / "curriculum.yaml", "en: Fixture Curriculum", "en: Edited Curriculum")
    assert store.meta().title("en") == "Edited Curriculum"
    assert store.revision > revision

    edit(root / "sites/testsite/site.yaml", "timezone: Asia/Jerusalem", "timezone: Africa/Kampala")
    assert store.site("testsite").timezone == "Africa/Kampala"
    (root / "sites/second").mkdir()
    (root / "sites/second/site.yaml").write_text("name: Second\ndefault_language: en\nlanguages: [en]\n")
    assert set(store.sites()) == {"second", "testsite"}
    shutil.rmtree(root / "sites/testsite")
    assert set(store.sites()) == {"second"}
    assert store.module("listening", "en", "testsite").overlay is None

    assert store.framework("en").get("A1").title == "Hope"
    edit(root / "competencies/en.yaml", "title: Hope", "title: Hopefulness")
    assert store.framework("en").get("A1").title == "Hopefulness"
    assert store.framework("he").get("A2").title == "Self-care"  # falls back to the source text
    assert store.framework("en").get("A2").modules == ("listening",)
    edit(root / "modules/basics/en.md", "competencies: [A1]", "competencies: [A1, A2]")
    assert store.framework("en").get("A2").modules == ("basics", "listening")


def test_broken_files_keep_the_last_good_version_and_are_parsed_once(root, caplog):
    store = CurriculumStore(root)
    assert store.meta().modules == ("basics", "listening")
    assert store.site("testsite").name == "Test Site"
    assert store.framework("en").get("A1").title == "Hope"
    write_later(root / "curriculum.yaml", "modules: [basics\n")
    write_later(root / "sites/testsite/site.yaml", "name: [\n")
    write_later(root / "competencies/en.yaml", "competencies: {A1: {title: x}, A1: {title: y}}\n")
    with caplog.at_level(logging.WARNING, logger="training.curriculum.store"):
        for _ in range(5):
            assert store.meta().modules == ("basics", "listening")
            assert store.site("testsite").name == "Test Site"
            assert store.framework("en").get("A1").title == "Hope"
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 3, warnings  # one per broken file, not one per access
    assert any("curriculum/curriculum.yaml:2: error: invalid YAML" in w for w in warnings), warnings
    assert any("duplicate key 'A1' (first at line 1)" in w for w in warnings), warnings
    edit(root / "curriculum.yaml", "modules: [basics", "modules: [listening]")
    assert store.meta().modules == ("listening",)


def test_a_file_that_appears_later_is_seen(root):
    store = CurriculumStore(root)
    assert store.module("listening", "he").fallback
    source = store.module("listening", "en")
    text = (root / "modules/listening/en.md").read_text(encoding="utf-8")
    he = text.replace("title: Listening", f"title: הקשבה\nsource_revision: {source.doc.revision}", 1)
    (root / "modules/listening/he.md").write_text(he, encoding="utf-8")
    view = store.module("listening", "he")
    assert not view.fallback and view.title == "הקשבה"


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def test_readers_never_see_a_half_built_snapshot_while_files_change(root):
    store = CurriculumStore(root, freshness=0)
    meta_path = root / "curriculum.yaml"
    original = meta_path.read_text(encoding="utf-8")
    orders = [original, original.replace("  - basics\n  - listening\n", "  - listening\n  - basics\n")]
    assert orders[0] != orders[1]
    stop = threading.Event()
    failures: list[str] = []

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            _write_atomically(meta_path, orders[n % 2])

    def reader() -> None:
        for _ in range(300):
            # One call: every view comes from one snapshot, so positions agree with one module list.
            views = store.modules("en", "testsite")
            if [v.position for v in views] != [0, 1] or {v.total for v in views} != {2}:
                failures.append(f"mixed views {[(v.slug, v.position) for v in views]}")
            with store.pinned():  # several calls: all from the pinned snapshot
                order = store.meta().modules
                slugs = tuple(v.slug for v in store.modules("en"))
                if slugs != order or store.module(order[0], "he").position != 0:
                    failures.append(f"{slugs} listed, meta says {order}")

    threads = [threading.Thread(target=reader) for _ in range(3)]
    write = threading.Thread(target=writer)
    write.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    write.join()
    assert failures == []
    assert store.revision > 2  # the writer's changes were seen while reading


def test_one_check_per_request_and_edits_seen_on_the_next(tmp_path, database_url, root, stats):
    app = make_app(database_url, tmp_path, root, CURRICULUM_FRESHNESS=0)
    client = app.test_client()
    assert "Basics" in client.get("/en/modules/basics/").get_data(as_text=True)
    stats.clear()
    client.get("/en/modules/basics/")
    assert stats and len(stats) == len(set(stats))  # each file looked at once in the whole request
    edit(root / "modules/basics/en.md", "title: Basics", "title: First Steps")
    assert "First Steps" in client.get("/en/modules/basics/").get_data(as_text=True)


def test_app_default_window_spares_the_files_between_requests(tmp_path, database_url, root, stats):
    app = make_app(database_url, tmp_path, root, CURRICULUM_FRESHNESS=3600)
    client = app.test_client()
    client.get("/en/modules/basics/")
    stats.clear()
    for _ in range(3):
        assert client.get("/en/modules/basics/").status_code == 200
        assert client.get("/en/").status_code == 200
    assert stats == []
