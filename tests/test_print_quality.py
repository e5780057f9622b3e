"""Printed pages read back: one font stack for every script, no slanted scripts, exact text, no stray lines.

Every PDF PeerPath makes (manuals, certificates, sign-off sheets) is checked
the way a reader, a printer and a screen reader meet it: the fonts Poppler
reports, the text pdftotext extracts, and how much each page holds.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

from training.accounts.models import Role
from training.cohorts.models import Enrolment
from training.extensions import db
from training.manuals.build import builder_for
from training.manuals.isolation import InlineRenderer
from training.manuals.options import resolve

from .conftest import REAL_CURRICULUM, login, make_app, make_certificate, make_user
from .manuals_support import fonts, page_texts, reader

pytestmark = pytest.mark.slow
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
# The kits of these modules' competencies ended with their last checklist line alone on a page.
KIT_MODULES = ["peer-role", "communication", "mutuality-boundaries"]
SCRIPTS = {"Gujarati": re.compile("[\u0a80-\u0aff]"), "Hebrew": re.compile("[\u0590-\u05ff]")}


def plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text.translate(BIDI_CONTROLS)).split())


def runs_by_font(path: Path) -> list[tuple[str, str, int]]:
    """(font name, text, page) for every piece of text drawn, as pypdf sees the content stream."""
    runs: list[tuple[str, str, int]] = []
    for number, page in enumerate(reader(path).pages, start=1):

        def visit(text, cm, tm, font, size, number=number):
            if font is not None and text.strip():
                runs.append((str(font.get("/BaseFont", "")), text, number))

        page.extract_text(visitor_text=visit)
    return runs


def body_lines(page: str) -> list[str]:
    """A page's lines without the running header (first line) and footer (last line)."""
    lines = [line for line in page.splitlines() if line.strip()]
    return lines[1:-1]


@pytest.fixture(scope="module")
def gujarati_manual(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gu-manual")
    app = make_app(f"sqlite:///{tmp / 'db.sqlite'}", tmp, REAL_CURRICULUM)
    with app.app_context():
        options = resolve(app.extensions["curriculum"], kind="manual", lang="gu", site="sabarmati", modules=KIT_MODULES)
        return builder_for(app, InlineRenderer()).build(options)


def test_no_page_holds_only_a_line_or_two_of_a_list(gujarati_manual):
    pages = page_texts(gujarati_manual.path)
    kit_pages = [n for n, text in enumerate(pages, start=1) if "આવું ન થવું જોઈએ" in text]
    assert kit_pages, "the kits' harmful lines are in the manual"
    for number, text in enumerate(pages[2:], start=3):  # after the cover and the contents
        assert len(body_lines(text)) > 2, f"page {number} holds only {body_lines(text)}"


def test_one_font_for_each_script_and_none_slanted(gujarati_manual):
    names = [row["name"] for row in fonts(gujarati_manual.path)]
    assert all(row["emb"] == "yes" for row in fonts(gujarati_manual.path))
    assert not [n for n in names if "Oblique" in n], names  # no synthetic slant of Gujarati or Hebrew
    assert not [n for n in names if "Serif" in n], names  # "તમારી નોંધો" and "(પાનું 25)" were Noto Serif
    for font, text, page in runs_by_font(gujarati_manual.path):
        for script, pattern in SCRIPTS.items():
            if pattern.search(text):
                assert script in font.replace("-", " "), (page, text, font)


def test_cover_and_footers_carry_revision_and_build_date(gujarati_manual):
    pages = [plain(p) for p in page_texts(gujarati_manual.path)]
    revision = gujarati_manual.key[:10]
    assert revision in pages[0]
    with_revision = [n for n, text in enumerate(pages[1:], start=2) if revision in text]
    assert len(with_revision) >= len(pages) - 2  # every page with a footer (the cover has none)


def test_hebrew_label_in_an_english_manual_uses_the_hebrew_face(tmp_path):
    from training.printing import self_contained_pdf

    html = (
        '<!doctype html><html lang="en"><body><p>Notes <em>here</em> <span>ההערות שלך</span> '
        '<em lang="he">(לא אמור לקרות)</em> <em lang="gu">(આવું ન થવું જોઈએ)</em> તમારી નોંધો</p></body></html>'
    )
    path = tmp_path / "mixed.pdf"
    path.write_bytes(self_contained_pdf(html))
    names = [row["name"] for row in fonts(path)]
    assert not [n for n in names if "DejaVu" in n or "Serif" in n or "Oblique" in n], names
    assert any("Italic" in n for n in names)  # Latin keeps its real italic
    for font, text, _ in runs_by_font(path):
        for script, pattern in SCRIPTS.items():
            if pattern.search(text):
                assert script in font.replace("-", " "), (text, font)


@pytest.mark.parametrize("lang", ["gu", "he"])
def test_certificate_text_extracts_exactly(app, people, client, tmp_path, lang):
    with app.app_context():
        fw = app.extensions["curriculum"].framework(lang)
        ids = [c.id for c in fw.competencies]
        make_certificate(people, language=lang, competencies=ids, trainee_name="Asha Vaghela")
        db.session.commit()
        cert_id = db.session.query(__import__("training").assessments.models.Certificate).one().id
        with force_locale(lang):
            expected = [
                gettext("Certificate of competence"),
                gettext("This certifies that"),
                gettext(
                    "has shown, in observed practice and assessment, every competency of the peer support worker training:"
                ),
                *(c.title for c in fw.competencies),
            ]
    login(client, people.coordinator)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(client.get(f"/certificates/{cert_id}.pdf").data)
    text = plain(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)
    for phrase in expected:
        if lang == "he":
            # pdftotext gives right-to-left lines in reading order but moves neutral punctuation
            # (" ," for ", "), and a phrase may wrap: compare the Hebrew words in order.
            words = re.findall("[\u0590-\u05ff]+", phrase)
            assert " ".join(words) in " ".join(re.findall("[\u0590-\u05ff]+", text)), phrase
        else:
            assert plain(phrase) in text, phrase
    names = [row["name"] for row in fonts(path)]
    assert not [n for n in names if "Oblique" in n or "Serif" in n], names


def test_signoff_sheets_fill_their_pages(app, people, client, tmp_path):
    with app.app_context():
        from training.cohorts.models import Cohort

        cohort = db.session.get(Cohort, people.cohort_id)
        for n in range(5):
            trainee = make_user(f"t{n}", Role.TRAINEE, "elbtal", name=f"Teilnehmerin {n}")
            db.session.add(Enrolment(cohort_id=cohort.id, user_id=trainee.id))
        db.session.commit()
    login(client, people.trainer)
    path = tmp_path / "signoff.pdf"
    path.write_bytes(client.get(f"/cohorts/{people.cohort_id}/signoff.pdf").data)
    pages = page_texts(path)
    # 16 competencies for 6 trainees: 23 rows of evidence each; one page per competency was 23 pages.
    assert len(pages) < 16, len(pages)  # fewer pages than competencies: they share pages
    for number, text in enumerate(pages[:-1], start=1):
        rows = sum(text.count(name) for name in [people.trainee.name, *(f"Teilnehmerin {n}" for n in range(5))])
        assert rows >= 5, f"page {number} holds {rows} trainee rows"
