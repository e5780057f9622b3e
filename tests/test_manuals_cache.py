"""The manual cache: a key that changes with every input, atomic files, superseded and old entries pruned."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from training.manuals import document
from training.manuals.build import ManualBuilder, builder_for
from training.manuals.cache import ManualCache, manual_key
from training.manuals.labels import print_labels
from training.manuals.options import ManualOptions, resolve

from .manuals_support import FakeRenderer, app, root, store, write_later  # noqa: F401 - shared fixtures


def key(store, **choices) -> str:
    options = resolve(store, **{"kind": "manual", "lang": "en", "site": "testsite", **choices})
    return manual_key(store, options, print_labels(options.lang, ("en",)))


def test_key_is_stable_for_the_same_inputs(store):
    assert key(store) == key(store)
    assert len(key(store)) == 64


@pytest.mark.parametrize(
    "choices",
    [
        {"lang": "he"},
        {"kind": "workbook"},
        {"kind": "handouts"},
        {"paper": "letter"},
        {"site": None},
        {"modules": ["basics"]},
    ],
)
def test_key_changes_with_each_option(store, choices):
    assert key(store, **choices) != key(store)


@pytest.mark.parametrize(
    "path",
    [
        "modules/basics/en.md",  # content revision
        "modules/listening/en.md",
        "sites/testsite/modules/listening/en.md",  # overlay revision
        "sites/testsite/site.yaml",  # site name on the cover
        "curriculum.yaml",  # curriculum title
        "competencies/en.yaml",  # assessment kits in the trainer manual
        "modules/basics/images/tree.png",  # an image
    ],
)
def test_key_changes_when_any_input_file_changes(store, root, path):
    before = key(store)
    target = root / path
    write_later(target, target.read_text(errors="replace") + "\n# changed\n")
    assert key(store) != before


def test_key_ignores_files_a_manual_does_not_show(store, root):
    before = key(store, modules=["basics"], kind="workbook")
    write_later(root / "modules" / "listening" / "en.md", (root / "modules/listening/en.md").read_text() + "\nMore.\n")
    assert key(store, modules=["basics"], kind="workbook") == before


def test_key_changes_with_the_template_version(store, tmp_path, monkeypatch):
    before = key(store)
    templates = tmp_path / "print-templates"
    shutil.copytree(document.TEMPLATE_DIR, templates)
    monkeypatch.setattr(document, "TEMPLATE_DIR", templates)
    assert key(store) == before  # same files, same version
    write_later(templates / "manual.html", (templates / "manual.html").read_text() + "\n")
    edited = key(store)
    assert edited != before
    monkeypatch.setattr(document, "DOCUMENT_VERSION", "changed")
    assert key(store) != edited


def test_key_changes_with_the_printed_words(store, monkeypatch):
    before = key(store)
    original = print_labels

    def other_words(lang, content_langs=()):
        labels = original(lang, content_langs)
        return type(labels)(labels.lang, {**labels.text, "contents": "Inhalt"}, labels.blocks, labels.counter_style)

    options = resolve(store, kind="manual", lang="en", site="testsite")
    assert manual_key(store, options, other_words("en", ("en",))) != before


OPTIONS = ManualOptions("manual", "en", "testsite")


def test_put_is_atomic_and_supersedes_the_older_entry_of_the_same_manual(tmp_path):
    cache = ManualCache(tmp_path / "cache")
    first = cache.put(OPTIONS, "a" * 64, b"%PDF first")
    other = cache.put(ManualOptions("workbook", "en", "testsite"), "c" * 64, b"%PDF other")
    second = cache.put(OPTIONS, "b" * 64, b"%PDF second")
    assert not first.exists() and second.read_bytes() == b"%PDF second"
    assert other.exists()  # a different manual is not touched
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted([second.name, other.name])
    assert cache.get(OPTIONS, "a" * 64) is None
    assert cache.get(OPTIONS, "b" * 64) == second


def test_prune_removes_unused_and_oversized_entries_and_dead_temporary_files(tmp_path):
    cache = ManualCache(tmp_path / "cache", max_bytes=25, max_age_seconds=3600)
    now = time.time()
    paths = [cache.put(ManualOptions("manual", lang, None), f"{i:064d}", b"x" * 10) for i, lang in enumerate("abcd")]
    ages = [7200, 30, 20, 10]  # the first is past max_age; the rest fit two by size
    for path, age in zip(paths, ages, strict=True):
        os.utime(path, (now - age, now - age))
    dead_tmp = tmp_path / "cache" / ".tmp-dead.pdf"
    dead_tmp.write_bytes(b"half")
    os.utime(dead_tmp, (now - 7200, now - 7200))
    removed = cache.prune(now=now)
    assert set(removed) == {paths[0], paths[1], dead_tmp}
    assert paths[2].exists() and paths[3].exists()


def test_a_cache_hit_returns_the_same_bytes_without_rendering(app, store):
    renderer = FakeRenderer()
    builder = builder_for(app, renderer)
    options = resolve(store, kind="workbook", lang="en", site="testsite")
    first = builder.build(options)
    assert renderer.calls == 1 and not first.cached
    again = builder.build(options)
    assert renderer.calls == 1 and again.cached
    assert again.path.read_bytes() == first.path.read_bytes()
    forced = builder.build(options, force=True)
    assert renderer.calls == 2 and not forced.cached


def test_changed_content_always_gives_a_fresh_file(app, store, root):
    renderer = FakeRenderer()
    builder: ManualBuilder = builder_for(app, renderer)
    options = resolve(store, kind="workbook", lang="en", site="testsite")
    first = builder.build(options)
    basics = root / "modules" / "basics" / "en.md"
    write_later(basics, basics.read_text().replace("Peers listen.", "Peers listen closely."))
    second = builder.build(options)
    assert renderer.calls == 2 and not second.cached and second.key != first.key
    assert "Peers listen closely." in renderer.htmls[-1]
    assert not first.path.exists()  # superseded
