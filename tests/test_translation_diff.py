"""What changed in the source since a translation: per section, word by word, from Git or the revision store."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from training.curriculum import CurriculumStore, revision_of
from training.curriculum.revisions import RevisionStore, from_git
from training.curriculum.translation import changes

from .conftest import FIXTURE_CURRICULUM, REAL_CURRICULUM

OLD_SOURCE = """---
title: Basics
summary: The first steps.
duration: 90
objectives:
  - Know the role.
  - Know the limits.
competencies: [A1]
---

Welcome to the basics.

## What peers do {#role}

Peers listen and share.

## Limits {#limits}

Everyone has limits.

## Old ways {#old-ways}

This section will be removed.

## Closing {#closing}

Say goodbye.
"""

NEW_SOURCE = """---
title: Basics
summary: The first steps.
duration: 90
objectives:
  - Know the role.
  - Know the limits.
competencies: [A1]
---

Welcome to the basics.

## Closing {#closing}

Say goodbye.

## What peers do {#role}

Peers listen, ask and share.

## Limits {#limits}

Everyone has limits.

## New ground {#new-ground}

A brand new section.
"""

TRANSLATION = """---
title: יסודות
summary: הצעדים הראשונים.
objectives:
  - להכיר את התפקיד.
  - להכיר את הגבולות.
source_revision: {revision}
---

ברוכים הבאים.

## מה עושים עמיתים {{#role}}

עמיתים מקשיבים.

## גבולות {{#limits}}

לכולם יש גבולות.

## דרכים ישנות {{#old-ways}}

זה יוסר.

## סיום {{#closing}}

להתראות.
"""


@pytest.fixture
def root(tmp_path) -> Path:
    target = tmp_path / "curriculum"
    shutil.copytree(FIXTURE_CURRICULUM, target)
    (target / "modules/basics/en.md").write_text(OLD_SOURCE)
    (target / "modules/basics/he.md").write_text(TRANSLATION.format(revision=revision_of(OLD_SOURCE.encode())))
    return target


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=Test", "-c", "user.email=test@example.org", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def states(diff) -> dict[str, tuple[str, bool]]:
    return {e.id: (e.state, e.moved) for e in diff.entries}


def assert_expected_changes(diff) -> None:
    assert diff.found and not diff.current
    assert [e.id for e in diff.entries] == ["closing", "role", "limits", "old-ways", "new-ground"]
    assert states(diff) == {
        "closing": ("unchanged", True),
        "role": ("changed", False),
        "limits": ("unchanged", False),
        "old-ways": ("removed", False),
        "new-ground": ("added", False),
    }
    role = diff.entry("role")
    assert [(w.op, w.text) for w in role.words if w.op != "equal"] == [("delete", "listen"), ("insert", "listen, ask")]
    assert role.words_to_update == 2
    assert diff.entry("new-ground").new_text == "## New ground {#new-ground}\n\nA brand new section."
    assert diff.entry("old-ways").old_text.endswith("This section will be removed.")
    # closing moved, role changed, old-ways removed, new-ground added; limits needs nothing.
    assert diff.changed_sections == 4
    assert diff.words_to_update == 2 + 6  # "New ground" and "A brand new section."


def test_diff_from_the_revision_store(root, tmp_path):
    revisions = RevisionStore(tmp_path / "revisions")
    store = CurriculumStore(root, revisions=revisions)
    assert store.doc("basics", "en") is not None  # seeing the source keeps its revision
    kept = revisions.get("basics", "en", revision_of(OLD_SOURCE.encode()))
    assert kept == OLD_SOURCE.encode()
    (root / "modules/basics/en.md").write_text(NEW_SOURCE)
    diff = changes(store, "basics", "he")
    assert diff.origin == "revision store"
    assert_expected_changes(diff)


def test_diff_from_git_history(root):
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "old")
    (root / "modules/basics/en.md").write_text(NEW_SOURCE)
    git(root, "commit", "-q", "-am", "new")
    (root / "modules/basics/en.md").write_text(NEW_SOURCE + "\nNot committed yet.\n")
    store = CurriculumStore(root)  # no revision store: Git alone
    diff = changes(store, "basics", "he")
    assert diff.origin is not None and diff.origin.startswith("git ")
    assert diff.entry("new-ground").new_text.endswith("A brand new section.\n\nNot committed yet.")
    assert states(diff)["role"] == ("changed", False)
    assert states(diff)["old-ways"] == ("removed", False)


def test_git_lookup_outside_a_checkout_finds_nothing(root):
    assert from_git(root / "modules/basics/en.md", revision_of(OLD_SOURCE.encode())) is None


def test_old_source_not_found_shows_every_section_whole(root):
    (root / "modules/basics/en.md").write_text(NEW_SOURCE)
    diff = changes(CurriculumStore(root), "basics", "he")
    assert not diff.found and diff.origin is None
    assert {e.state for e in diff.entries} == {"unknown"}
    assert diff.entry("role").new_text == "## What peers do {#role}\n\nPeers listen, ask and share."
    assert [e.id for e in diff.entries if e.kind == "section"] == ["closing", "role", "limits", "new-ground"]


def test_current_translation_has_nothing_to_update(root):
    diff = changes(CurriculumStore(root), "basics", "he")
    assert diff.current and diff.found and diff.changed == () and diff.words_to_update == 0


def test_front_matter_and_introduction_changes_are_named(root, tmp_path):
    store = CurriculumStore(root, revisions=tmp_path / "revisions")
    store.doc("basics", "en")
    changed = OLD_SOURCE.replace("Know the limits.", "Know and respect the limits.").replace("Welcome", "Hello")
    (root / "modules/basics/en.md").write_text(changed)
    diff = changes(store, "basics", "he")
    assert [(e.id, e.state) for e in diff.changed] == [("front-matter", "changed"), ("introduction", "changed")]
    assert diff.changed_sections == 0 and diff.words_to_update == 3


def test_revision_store_refuses_odd_names(tmp_path):
    revisions = RevisionStore(tmp_path)
    assert revisions.path("../etc", "en", "0" * 12) is None
    assert revisions.path("basics", "en/..", "0" * 12) is None
    assert revisions.path("basics", "en", "../../x") is None
    assert revisions.get("basics", "en", "not-a-revision") is None


def test_cli_diff(root, runner, tmp_path):
    store = CurriculumStore(root, revisions=tmp_path / "revisions")
    store.doc("basics", "en")
    (root / "modules/basics/en.md").write_text(NEW_SOURCE)
    runner.app.config["SOURCE_REVISIONS_DIR"] = str(tmp_path / "revisions")
    result = runner.invoke(args=["curriculum", "diff", "basics", "he", "--path", str(root)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "4 changed sections, 8 words to update" in out
    assert "## What peers do {#role}: changed (2 words to update)" in out
    assert "Peers [-listen-]{+listen, ask+} and share." in out
    assert "## Closing {#closing}: moved" in out
    assert "## Old ways {#old-ways}: removed" in out
    assert "## New ground {#new-ground}: added" in out
    assert "Unchanged sections: limits" in out
    status = runner.invoke(args=["curriculum", "status", "--path", str(root)]).output
    assert "basics he: 4 changed sections, 8 words to update" in status


def test_cli_diff_unknown_module_or_language(root, runner):
    ghost = runner.invoke(args=["curriculum", "diff", "ghost", "he", "--path", str(root)])
    assert ghost.exit_code == 1 and "unknown module 'ghost'" in ghost.output
    klingon = runner.invoke(args=["curriculum", "diff", "basics", "tlh", "--path", str(root)])
    assert klingon.exit_code == 1 and "unknown language 'tlh'" in klingon.output
    missing = runner.invoke(args=["curriculum", "diff", "listening", "he", "--path", str(root)])
    assert missing.exit_code == 0 and "no he translation yet" in missing.output


def test_demo_luganda_module_shows_the_english_edit_without_git(tmp_path, runner):
    """The shipped curriculum copied where there is no Git: the demo's stored revision is enough."""
    from training.demo import seed_source_revisions

    copy = tmp_path / "shipped"
    shutil.copytree(REAL_CURRICULUM, copy)
    store = CurriculumStore(copy, revisions=tmp_path / "revisions")
    assert changes(store, "peer-role", "lg").found is False
    assert seed_source_revisions(store) == 1
    diff = changes(store, "peer-role", "lg")
    assert diff.origin == "revision store"
    assert [(e.id, e.state) for e in diff.changed] == [("staying-in-role", "changed")]
    inserted = [w.text for w in diff.changed[0].words if w.op != "equal"]
    assert inserted == [
        "\n- Look after yourself too: peer work uses your own story, so plan your support\n"
        "  before you need it (see [Well-being, supervision and teamwork](module:wellbeing-teamwork))."
    ]
    assert diff.words_to_update == 23
