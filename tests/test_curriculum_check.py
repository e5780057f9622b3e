"""The validator names every problem by file and line, and never crashes on broken files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from training.accounts.models import Role
from training.curriculum import check_curriculum, revision_of
from training.extensions import db

from .conftest import FIXTURE_CURRICULUM, make_user


@pytest.fixture
def cur(tmp_path) -> Path:
    root = tmp_path / "curriculum"
    shutil.copytree(FIXTURE_CURRICULUM, root)
    return root


def problems(root: Path, level: str | None = None) -> list[str]:
    return [str(p) for p in check_curriculum(root) if level is None or p.level == level]


def errors(root: Path) -> list[str]:
    return problems(root, "error")


def test_fixture_is_clean_except_missing_translations(cur):
    assert errors(cur) == []
    assert problems(cur, "warning") == [
        "curriculum/competencies/he.yaml:1: warning: missing translation: competency A2",
        "curriculum/modules/listening/he.md:1: warning: missing translation: module 'listening' in he",
    ]


def test_the_real_curriculum_has_no_errors():
    assert [str(p) for p in check_curriculum(Path(__file__).parent.parent / "curriculum") if p.level == "error"] == []


def test_invalid_yaml_in_front_matter_names_the_line(cur):
    path = cur / "modules/basics/en.md"
    text = path.read_text().replace("summary: The first steps.", "summary: [unclosed")
    path.write_text(text)
    found = errors(cur)
    assert any(e.startswith("curriculum/modules/basics/en.md:4: error: invalid YAML") for e in found), found


def test_missing_front_matter(cur):
    path = cur / "modules/listening/en.md"
    path.write_text("## No front matter {#x}\n")
    assert (
        "curriculum/modules/listening/en.md:1: error: missing front matter: the file must start with a line '---'"
        in errors(cur)
    )


def test_missing_required_fields(cur):
    path = cur / "modules/listening/en.md"
    path.write_text(path.read_text().replace("summary: How to listen.\n", "").replace("duration: 120\n", ""))
    found = errors(cur)
    assert "curriculum/modules/listening/en.md:1: error: missing required field 'summary'" in found
    assert "curriculum/modules/listening/en.md:1: error: missing required field 'duration'" in found


def test_section_without_id_and_duplicate_id(cur):
    path = cur / "modules/listening/en.md"
    text = (
        path.read_text()
        .replace("## Reflecting {#reflect}", "## Reflecting")
        .replace("## Local help {#local}", "## Local help {#why}")
    )
    path.write_text(text)
    found = errors(cur)
    assert (
        "curriculum/modules/listening/en.md:18: error: section heading has no id: write '## Reflecting {#some-id}'"
        in found
    )
    assert "curriculum/modules/listening/en.md:26: error: duplicate section id 'why' (first at line 10)" in found


def test_translation_with_different_section_ids(cur):
    path = cur / "modules/basics/he.md"
    path.write_text(path.read_text().replace("{#limits}", "{#boundaries}"))
    found = errors(cur)
    assert any(
        e.startswith(
            "curriculum/modules/basics/he.md:24: error: section ids differ from the source (missing limits; not in the source: boundaries)"
        )
        for e in found
    ), found


def test_unknown_competency_and_block_type(cur):
    path = cur / "modules/basics/en.md"
    path.write_text(
        path.read_text().replace("competencies: [A1]", "competencies: [A1, Z9]").replace("::: keypoints", "::: summary")
    )
    found = errors(cur)
    assert "curriculum/modules/basics/en.md:8: error: unknown competency id 'Z9'" in found
    assert any(
        e.startswith("curriculum/modules/basics/en.md:34: error: unknown block type 'summary'") for e in found
    ), found


def test_links_to_missing_module_and_section_and_missing_image(cur):
    path = cur / "modules/basics/en.md"
    text = path.read_text()
    text = text.replace("(module:listening#reflect)", "(module:listening#nothing)")
    text = text.replace("[limits](#limits)", "[limits](module:ghost)")
    text = text.replace("images/tree.png", "images/missing.png")
    path.write_text(text)
    found = errors(cur)
    assert (
        "curriculum/modules/basics/en.md:16: error: link to a section that does not exist: listening#nothing" in found
    )
    assert "curriculum/modules/basics/en.md:16: error: link to a module that does not exist: 'ghost'" in found
    assert "curriculum/modules/basics/en.md:18: error: missing image 'images/missing.png'" in found


def test_unknown_language_codes(cur):
    (cur / "modules/basics/xx.md").write_text((cur / "modules/basics/he.md").read_text())
    yaml = cur / "curriculum.yaml"
    yaml.write_text(yaml.read_text().replace("languages: [en, he]", "languages: [en, he, qq]"))
    found = errors(cur)
    assert (
        "curriculum/modules/basics/xx.md:1: error: unknown language code 'xx' (not in curriculum.yaml languages)"
        in found
    )
    assert "curriculum/curriculum.yaml:3: error: unknown language code 'qq'" in found


def test_block_problems(cur):
    path = cur / "modules/listening/en.md"
    text = (
        path.read_text()
        .replace("::: reflection id=heard", "::: reflection")
        .replace("Because it helps.", 'Because it helps.\n\n::: activity title="No time"\nText\n:::')
    )
    path.write_text(text)
    found = errors(cur)
    assert "curriculum/modules/listening/en.md:14: error: activity block needs duration=…" in found
    assert "curriculum/modules/listening/en.md:26: error: reflection block needs id=…" in found


def test_unclosed_block(cur):
    path = cur / "modules/listening/en.md"
    path.write_text(path.read_text().replace("Offer an opt-out.\n:::\n", "Offer an opt-out.\n"))
    found = errors(cur)
    assert (
        "curriculum/modules/listening/en.md:14: error: trainer block is not closed: add a line ':::' after it" in found
    )


def test_outdated_and_missing_translations_are_warnings_and_strict_fails(cur, runner):
    source = cur / "modules/basics/en.md"
    source.write_text(source.read_text() + "\nOne more line.\n")
    found = problems(cur, "warning")
    assert any(w.startswith("curriculum/modules/basics/he.md:7: warning: outdated translation") for w in found), found
    result = runner.invoke(args=["curriculum", "check", "--path", str(cur)])
    assert result.exit_code == 0, result.output
    strict = runner.invoke(args=["curriculum", "check", "--path", str(cur), "--strict"])
    assert strict.exit_code == 1
    assert "warning: outdated translation" in strict.output


def test_check_command_exit_code_and_format(cur, runner):
    (cur / "modules/listening/en.md").write_text("---\ntitle: [\n---\n")
    result = runner.invoke(args=["curriculum", "check", "--path", str(cur)])
    assert result.exit_code == 1
    assert "curriculum/modules/listening/en.md:2: error: invalid YAML" in result.output


def test_binary_garbage_never_crashes(cur, runner):
    (cur / "modules/listening/en.md").write_bytes(b"\xff\xfe\x00garbage")
    (cur / "competencies/en.yaml").write_bytes(b"competencies: {A1: [\n")
    result = runner.invoke(args=["curriculum", "check", "--path", str(cur)])
    assert result.exit_code == 1
    assert "curriculum/modules/listening/en.md:1: error: file is not valid UTF-8" in result.output
    assert "curriculum/competencies/en.yaml:2: error: invalid YAML" in result.output
    assert "Traceback" not in result.output


def test_site_overlay_problems(cur):
    site = cur / "sites/testsite"
    (site / "site.yaml").write_text("name: T\ndefault_language: de\nlanguages: [he]\ntimezone: Mars/Olympus\n")
    overlay = site / "modules/listening/en.md"
    overlay.write_text(overlay.read_text().replace("extra: why", "extra: nowhere"))
    found = errors(cur)
    assert (
        "curriculum/sites/testsite/site.yaml:2: error: default_language 'de' is not among the site's languages" in found
    )
    assert "curriculum/sites/testsite/site.yaml:4: error: unknown time zone 'Mars/Olympus'" in found
    assert (
        "curriculum/sites/testsite/modules/listening/en.md:2: error: add_after: no section 'nowhere' in module 'listening'"
        in found
    )


def test_competency_translation_checklist_ids_must_match(cur):
    path = cur / "competencies/he.yaml"
    path.write_text(path.read_text().replace("id: hopeful,", "id: hope-words,"))
    found = errors(cur)
    assert any(
        "competency A1: checklist ids ['hope-words', 'labels'] differ from the source ['hopeful', 'labels']" in e
        for e in found
    )


def test_status_and_mark_current(cur, runner):
    source = cur / "modules/basics/en.md"
    source.write_text(source.read_text() + "\nChanged.\n")
    table = runner.invoke(args=["curriculum", "status", "--path", str(cur)]).output.splitlines()
    assert table[0].split() == ["module", "en", "he"]
    assert table[1].split() == ["basics", "source", "OUTDATED"]
    assert table[2].split() == ["listening", "source", "missing"]
    assert table[3].split() == ["competencies", "source", "ok"]
    refused = runner.invoke(args=["curriculum", "mark-current", "basics", "he", "--path", str(cur)])
    assert refused.exit_code == 1 and "translated, peer-reviewed, approved" in refused.output
    with runner.app.app_context():
        make_user("noa", Role.TRAINER, "galil")
        make_user("dana", Role.TRAINEE, "galil")
        make_user("admin", Role.ADMIN, None)
        db.session.commit()
    for login in ("noa", "dana"):
        granted = runner.invoke(args=["curriculum", "grant-translator", login, "he", "--path", str(cur)])
        assert granted.exit_code == 0, granted.output
    for step, login in (("translated", "noa"), ("peer-reviewed", "dana"), ("approved", "admin")):
        done = runner.invoke(args=["curriculum", "review", "basics", "he", step, "--by", login, "--path", str(cur)])
        assert done.exit_code == 0, done.output
    result = runner.invoke(args=["curriculum", "mark-current", "basics", "he", "--path", str(cur)])
    assert result.exit_code == 0, result.output
    assert f"source_revision: {revision_of(source.read_bytes())}" in (cur / "modules/basics/he.md").read_text()
    table = runner.invoke(args=["curriculum", "status", "--path", str(cur)]).output.splitlines()
    assert table[1].split() == ["basics", "source", "ok"]
    wrong = runner.invoke(args=["curriculum", "mark-current", "ghost", "he", "--path", str(cur)])
    assert wrong.exit_code == 1 and "unknown module 'ghost'" in wrong.output


def test_check_can_be_limited_to_languages(cur, runner):
    source = cur / "modules/basics/en.md"
    source.write_text(source.read_text() + "\nChanged.\n")
    only_en = runner.invoke(args=["curriculum", "check", "--path", str(cur), "--strict", "--lang", "en"])
    assert only_en.exit_code == 0, only_en.output
    with_he = runner.invoke(args=["curriculum", "check", "--path", str(cur), "--strict", "--lang", "en,he"])
    assert with_he.exit_code == 1 and "outdated translation" in with_he.output
    bad = runner.invoke(args=["curriculum", "check", "--path", str(cur), "--lang", "xx"])
    assert bad.exit_code == 1 and "unknown language(s) xx" in bad.output


def test_shipped_curriculum_passes_strict_for_full_languages(runner):
    result = runner.invoke(args=["curriculum", "check", "--strict", "--lang", "en,de,sw"])
    assert result.exit_code == 0, result.output


def test_shipped_status_shows_partial_languages(runner):
    output = runner.invoke(args=["curriculum", "status"]).output
    table, _, to_update = output.partition("\n\n")
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()}
    assert "peer-role lg: 1 changed section, 23 words to update" in to_update
    assert rows["module"] == ["en", "de", "sw", "lg", "he", "gu"]
    assert rows["peer-role"] == ["source", "ok", "ok", "OUTDATED", "ok", "ok"]  # left outdated on purpose for the demo
    assert rows["ethics-rights"][3:] == ["missing", "missing", "missing"]
    assert all(rows[name][1:3] == ["ok", "ok"] for name in rows if name != "module")
    for lang_index in (3, 4, 5):
        assert (
            sum(rows[name][lang_index] in ("ok", "OUTDATED") for name in rows if name not in ("module", "competencies"))
            >= 3
        )


def test_review_steps_are_configurable_and_checked(cur):
    from training.curriculum import CurriculumStore
    from training.curriculum.translation import review_steps

    assert review_steps(CurriculumStore(cur)) == ("translated", "peer-reviewed", "approved")
    config = cur / "curriculum.yaml"
    config.write_text(config.read_text() + "review_steps: [translated, back-translated, approved]\n")
    assert review_steps(CurriculumStore(cur)) == ("translated", "back-translated", "approved")
    assert errors(cur) == []
    config.write_text(config.read_text().replace("back-translated", "Back Translated"))
    assert any("review_steps must be a list of step ids" in e for e in errors(cur))
