"""YAML files are parsed once (libyaml when installed) and every failure names file and line."""

from __future__ import annotations

import pytest
import yaml

from training.curriculum import ContentError, parse_module, yamlfile
from training.curriculum.yamlfile import load_yaml, load_yaml_with_lines


def test_libyaml_parses_when_installed():
    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML without libyaml")
    assert issubclass(yamlfile._UniqueKeyLoader, yaml.CSafeLoader)


def test_data_and_key_lines_from_one_parse():
    text = "# a comment\nid: x\nlanguages: [en, de]\ntitle:\n  en: Title\nmodules:\n  - a\n  - b\n"
    data, lines = load_yaml_with_lines(text, "c.yaml", first_line=3)
    assert data == {"id": "x", "languages": ["en", "de"], "title": {"en": "Title"}, "modules": ["a", "b"]}
    assert lines == {"id": 4, "languages": 5, "title": 6, "modules": 8}
    assert load_yaml("", "empty.yaml") is None
    assert load_yaml_with_lines("- a\n- b\n", "list.yaml") == (["a", "b"], {})


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb: [1, 2\n", 3, "invalid YAML"),
        ("a: 1\nb: [", 2, "invalid YAML"),
        ("a: 1\n  b: 2\n", 2, "mapping values are not allowed"),
        ("a: 1\nb:\n  c: 1\n  c: 2\n", 4, "duplicate key 'c' (first at line 3)"),
        ("a: 1\n? [x, y]\n: 2\n", 2, "invalid YAML"),  # an unhashable key: a message, not a crash
    ],
)
def test_errors_name_file_and_line(text, line, words):
    with pytest.raises(ContentError) as caught:
        load_yaml_with_lines(text, "curriculum/x.yaml")
    [problem] = caught.value.problems
    assert (problem.path, problem.line, problem.level) == ("curriculum/x.yaml", line, "error")
    assert words in problem.message


def test_front_matter_keys_keep_their_file_lines():
    doc = parse_module(
        b"---\ntitle: T\nsummary: S\n\nduration: 30\nobjectives: [o]\ncompetencies: [A1]\n---\n\n## One {#one}\n\nText.\n",
        slug="m",
        lang="en",
        path="curriculum/modules/m/en.md",
    )
    assert dict(doc.meta_lines) == {"title": 2, "summary": 3, "duration": 5, "objectives": 6, "competencies": 7}
    assert doc.meta.duration == 30 and doc.meta.competencies == ("A1",)
