"""Interface catalogs: one per curriculum language, complete, valid, and up to date with the code."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from training.curriculum import CurriculumStore

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = CurriculumStore(ROOT / "curriculum").meta().languages
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def catalog(lang: str):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


def forms(value) -> tuple[str, ...]:
    """A message's id or string as a tuple: one item, or every plural form."""
    return (value,) if isinstance(value, str) else tuple(value)


def extracted_ids() -> set[str]:
    method_map = [("training/**.py", "python"), ("templates/**.html", "jinja2")]
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        keywords={
            "_": None,
            "gettext": None,
            "lazy_gettext": None,
            "_l": None,
            "ngettext": (1, 2),
            "lazy_pgettext": ((1, "c"), 2),
        },
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete_and_not_fuzzy(lang):
    cat = catalog(lang)
    untranslated = [m.id for m in cat if m.id and not all(forms(m.string))]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert not untranslated, f"{lang}: {len(untranslated)} untranslated, e.g. {untranslated[:3]}"
    assert not fuzzy, f"{lang}: fuzzy entries {fuzzy[:3]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_passes_msgfmt_check(lang, tmp_path):
    po = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "m.mo"), str(po)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_are_kept(lang):
    wrong = [
        m.id
        for m in catalog(lang)
        if m.id
        for text in forms(m.string)
        if set(PLACEHOLDER.findall(forms(m.id)[-1])) != set(PLACEHOLDER.findall(text))
    ]
    assert not wrong, f"{lang}: placeholders changed in {wrong[:3]}"


def test_catalogs_hold_every_string_in_the_code():
    in_code = extracted_ids()
    for lang in LANGUAGES:
        missing = in_code - {forms(m.id)[0] for m in catalog(lang)}
        assert not missing, (
            f"{lang} lacks {len(missing)} new strings (run make translations-update), e.g. {sorted(missing)[:3]}"
        )


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_pages_use_the_catalog(client, lang):
    expected = {m.id: m.string for m in catalog(lang)}["Modules"]
    html = client.get(f"/{lang}/").get_data(as_text=True)
    assert f">{expected}</a>" in html
