"""The engine: parsing, fallback, outdated detection, overlays, sanitising, caching and reload."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from training.curriculum import CurriculumStore, direction, parse_module

from .conftest import FIXTURE_CURRICULUM


@pytest.fixture
def root(tmp_path) -> Path:
    target = tmp_path / "curriculum"
    shutil.copytree(FIXTURE_CURRICULUM, target)
    return target


@pytest.fixture
def store(root) -> CurriculumStore:
    return CurriculumStore(root)


def touch_later(path: Path, text: str) -> None:
    """Write and move the mtime forward, so the change is seen even within one clock tick."""
    path.write_text(text)
    later = time.time() + 5
    os.utime(path, (later, later))


def test_module_structure(store):
    view = store.module("basics", "en")
    assert view.title == "Basics"
    assert view.section_ids == ("role", "limits")
    assert view.duration == 90
    assert view.competencies == ("A1",)
    assert view.safety_critical == ("limits",)
    blocks = [(b.type, dict(b.attrs)) for b in view.doc.blocks()]
    assert blocks == [
        ("activity", {"title": "Warm-up", "duration": "15"}),
        ("trainer", {}),
        ("reflection", {"id": "my-limits"}),
        ("keypoints", {}),
        ("handout", {"id": "limits-card", "title": "Limits card"}),
    ]


def test_trainee_html_has_no_trainer_notes_trainer_html_has_them(store):
    view = store.module("basics", "en")
    trainee = store.render(view, "trainee")
    trainer = store.render(view, "trainer")
    trainee_html = "".join(s.html for s in trainee.sections)
    trainer_html = "".join(s.html for s in trainer.sections)
    assert "Keep time." not in trainee_html
    assert "block-trainer" not in trainee_html
    assert "Keep time." in trainer_html
    assert 'class="block block-activity"' in trainee_html
    assert 'data-duration="15"' in trainee_html
    assert "15 min" in trainee_html


def test_links_and_images_are_rewritten_for_web_and_print(store):
    view = store.module("basics", "en")
    web = store.render(view, "trainee", "web").sections[0].html
    assert 'href="../listening/#reflect"' in web
    assert 'href="#limits"' in web
    assert 'src="images/tree.png"' in web
    printed = store.render(view, "trainee", "print").sections[0].html
    assert 'href="#m-listening--reflect"' in printed
    assert 'href="#m-basics--limits"' in printed
    assert 'src="file://' in printed and printed.count("images/tree.png") == 1


def test_fallback_to_source_language(store):
    view = store.module("listening", "he")
    assert view.fallback and view.content_lang == "en" and not view.outdated
    translated = store.module("basics", "he")
    assert not translated.fallback and translated.content_lang == "he" and not translated.outdated
    assert translated.title == "יסודות"


def test_outdated_when_source_changes(root, store):
    assert not store.module("basics", "he").outdated
    source = root / "modules/basics/en.md"
    touch_later(source, source.read_text() + "\nA new paragraph.\n")
    view = store.module("basics", "he")
    assert view.outdated and not view.fallback


def test_changed_file_is_picked_up_without_restart_and_broken_file_keeps_last_good(root, store):
    view = store.module("listening", "en")
    assert "Because it helps." in store.render(view, "trainee").sections[0].html
    path = root / "modules/listening/en.md"
    touch_later(path, path.read_text().replace("Because it helps.", "Because it heals."))
    view = store.module("listening", "en")
    assert "Because it heals." in store.render(view, "trainee").sections[0].html
    good = path.read_text()
    touch_later(path, "---\ntitle: [broken\n---\n")
    view = store.module("listening", "en")
    assert view is not None and "Because it heals." in store.render(view, "trainee").sections[0].html
    touch_later(path, good.replace("## Reflecting {#reflect}", "## Reflecting"))  # parses, but has an error
    assert store.module("listening", "en").section_ids == ("why", "reflect", "local")


def test_render_is_cached_per_revision_and_audience(store):
    view = store.module("basics", "en")
    first = store.render(view, "trainee")
    assert store.render(view, "trainee").sections[0] is first.sections[0]
    assert store.render(view, "trainer").sections[0] is not first.sections[0]


def test_site_overlay_replaces_and_adds_sections(store):
    site = store.site("testsite")
    assert site.name == "Test Site" and site.default_language == "he" and site.languages == ("he", "en")
    view = store.module("listening", "en", site)
    assert view.section_ids == ("why", "extra", "reflect", "local")
    rendered = store.render(view, "trainee")
    local = {s.id: s.html for s in rendered.sections}["local"]
    assert "fictional test team" in local
    # Hebrew readers get the overlay in the site's... only language it has (en), then the source.
    assert store.module("listening", "he", site).section_ids == ("why", "extra", "reflect", "local")
    plain = store.module("listening", "en")
    assert plain.section_ids == ("why", "reflect", "local")
    assert view.revision != plain.revision


HOSTILE = """---
title: Hostile
summary: x
duration: 10
objectives: [x]
competencies: [A1]
---

## Attack {#attack}

<script>alert(1)</script>
<img src="x" onerror="alert(2)">
<a href="javascript:alert(3)">click</a>
[md link](javascript:alert(4))
<iframe src="https://evil.example"></iframe>
<style>body{display:none}</style>
<div style="background:url(javascript:alert(5))" onclick="alert(6)">styled</div>
<svg onload="alert(7)"><circle/></svg>
<object data="x.swf"></object>
<form action="https://evil.example"><input name="p"></form>
![img](https://tracker.example/pixel.png)
<a href="data:text/html,<script>alert(8)</script>">data</a>
<math><mi xlink:href="javascript:alert(9)">m</mi></math>

::: note title="<img src=x onerror=alert(10)>"
Safe text.
:::
"""


def test_hostile_markdown_is_sanitised(root):
    path = root / "modules/listening/en.md"
    path.write_text(HOSTILE)
    store = CurriculumStore(root)
    view = store.module("listening", "en")
    html = store.render(view, "trainer").sections[0].html.lower()
    for bad in (
        "<script",
        "onerror",
        "onclick",
        "onload",
        "javascript:",
        "<iframe",
        "<style",
        "style=",
        "<object",
        "<form",
        "<input",
        "tracker.example",
        "data:text",
        "<svg",
        "xlink",
    ):
        assert bad not in html, bad
    assert "safe text." in html
    assert "styled" in html


def test_direction_from_language():
    assert direction("he") == "rtl" and direction("ar") == "rtl"
    assert direction("gu") == "ltr" and direction("de") == "ltr" and direction("zz") == "ltr"


def test_parse_reports_problems_without_raising():
    doc = parse_module(b"---\ntitle: T\n---\n## A {#a}\n::: bogus\nx\n:::\n## B\n", slug="m", lang="en", path="m/en.md")
    messages = [str(p) for p in doc.problems]
    assert (
        "m/en.md:5: error: unknown block type 'bogus' (known: trainer, activity, reflection, keypoints, handout, note)"
        in messages
    )
    assert "m/en.md:8: error: section heading has no id: write '## B {#some-id}'" in messages
    assert not doc.ok


def test_german_gender_star_is_not_emphasis(root):
    path = root / "modules/listening/en.md"
    path.write_text(
        path.read_text().replace("Because it helps.", "Genesungsbegleiter*innen und Trainer*innen, *betont*.")
    )
    store = CurriculumStore(root)
    html = store.render(store.module("listening", "en"), "trainee").sections[0].html
    assert "Genesungsbegleiter*innen und Trainer*innen, <em>betont</em>." in html
