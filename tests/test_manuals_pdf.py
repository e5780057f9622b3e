"""Real PDFs, read back with pypdf and Poppler: contents pages, outline, fonts, scripts, direction, paper.

Each manual is rendered once per module (in this process) and shared by the
tests that read it.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

from training.curriculum import CurriculumStore
from training.manuals.build import BuiltManual, builder_for
from training.manuals.isolation import InlineRenderer
from training.manuals.options import resolve

from .conftest import REAL_CURRICULUM, make_app
from .manuals_support import add_gujarati, copy_curriculum, fonts, missing_glyphs, outline_titles, page_texts, reader

pytestmark = pytest.mark.slow
MM = 72 / 25.4
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


class Manuals:
    """Builds manuals on one curriculum and keeps the results for several tests."""

    def __init__(self, root: Path, tmp: Path):
        self.app = make_app(f"sqlite:///{tmp / 'db.sqlite'}", tmp, root)
        self.built: dict[tuple, BuiltManual] = {}

    @property
    def store(self) -> CurriculumStore:
        return self.app.extensions["curriculum"]

    def get(self, **choices) -> BuiltManual:
        key = tuple(sorted((k, str(v)) for k, v in choices.items()))
        if key not in self.built:
            with self.app.app_context():
                options = resolve(self.store, **choices)
                self.built[key] = builder_for(self.app, InlineRenderer()).build(options)
        return self.built[key]


@pytest.fixture(scope="module")
def fixture_manuals(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("manuals")
    root = copy_curriculum(tmp)
    add_gujarati(root)
    return Manuals(root, tmp)


def plain(text: str) -> str:
    return unicodedata.normalize("NFC", text.translate(BIDI_CONTROLS))


def contents_entries(pages: list[str]) -> list[tuple[str, int]]:
    """(title, page) for each line of the contents pages: 'Title ........ 12'."""
    entries = []
    for page in pages:
        if "Contents" not in page:
            continue
        for line in page.splitlines():
            match = re.match(r"^\s*(?:\d+\.\s+)?(.+?)\s*[.…]{3,}\s*(\d+)\s*$", line)
            if match:
                entries.append((match.group(1).strip(), int(match.group(2))))
    return entries


def heading_page(pages: list[str], title: str, after: int) -> int | None:
    """The first page after the contents with a line that is just the heading."""
    for number, text in enumerate(pages, start=1):
        if number > after and any(line.strip() == title for line in text.splitlines()):
            return number
    return None


# -- English trainer manual and workbook -----------------------------------------------


def test_contents_page_numbers_are_where_the_headings_are(fixture_manuals):
    built = fixture_manuals.get(kind="manual", lang="en", site="testsite")
    pages = page_texts(built.path)
    entries = contents_entries(pages)
    titles = [t for t, _ in entries]
    assert titles == [
        "Basics",
        "What peers do",
        "Limits",
        "Listening",
        "Why listen",
        "An extra section",
        "Reflecting",
        "Local help here",
        "Assessment kits",
    ]
    for title, page in entries:
        assert heading_page(pages, title, after=2) == page, title


def test_outline_lists_every_module_and_section_on_the_right_pages(fixture_manuals):
    built = fixture_manuals.get(kind="manual", lang="en", site="testsite")
    pdf = reader(built.path)
    outline = outline_titles(pdf)
    level_one = [title for level, title, _ in outline if level == 1]
    assert level_one == ["Contents", "Basics", "Listening", "Assessment kits"]
    sections = [title for level, title, _ in outline if level == 2]
    for title in ("What peers do", "Limits", "Why listen", "An extra section", "Reflecting", "Local help here"):
        assert title in sections
    contents = dict(contents_entries(page_texts(built.path)))
    for _, title, page in outline:
        if title in contents:
            assert page == contents[title], title


def test_fonts_are_embedded_and_no_glyph_is_missing(fixture_manuals):
    built = fixture_manuals.get(kind="manual", lang="en", site="testsite")
    table = fonts(built.path)
    assert table and all(row["emb"] == "yes" for row in table), table
    assert any("NotoSans" in row["name"].replace("-", "") for row in table)
    assert missing_glyphs(reader(built.path)) == []


def test_trainer_notes_in_the_manual_not_in_the_workbook(fixture_manuals):
    manual = " ".join(page_texts(fixture_manuals.get(kind="manual", lang="en", site="testsite").path))
    workbook = " ".join(page_texts(fixture_manuals.get(kind="workbook", lang="en", site="testsite").path))
    for note in ("Keep time.", "Offer an opt-out.", "TRAINER NOTES"):
        assert note in manual
        assert note not in workbook
    assert "Session plan" in manual and "Session plan" not in workbook
    assert "Your notes" in workbook and "Your notes" not in manual


def test_running_header_page_x_of_y_metadata_and_paper(fixture_manuals):
    built = fixture_manuals.get(kind="manual", lang="en", site="testsite")
    pages = page_texts(built.path)
    total = len(pages)
    assert "Page 1 of" not in pages[0]  # the cover has no footer
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} of {total}" in text
    basics = dict(contents_entries(pages))["Basics"]
    assert pages[basics - 1].strip().splitlines()[0].strip() == "Basics"  # running header
    pdf = reader(built.path)
    assert pdf.metadata.title == "Fixture Curriculum — Trainer manual — Test Site"
    assert pdf.trailer["/Root"]["/Lang"] == "en"
    width, height = float(pdf.pages[0].mediabox.width), float(pdf.pages[0].mediabox.height)
    assert (round(width / MM), round(height / MM)) == (210, 297)
    letter = reader(fixture_manuals.get(kind="workbook", lang="en", site="testsite", paper="letter").path)
    assert (float(letter.pages[0].mediabox.width), float(letter.pages[0].mediabox.height)) == (612, 792)


def test_margins_leave_room_for_photocopying(fixture_manuals):
    """No text closer than 10 mm to any edge (margin boxes sit in the 20 mm+ margins)."""
    built = fixture_manuals.get(kind="manual", lang="en", site="testsite")
    out = subprocess.run(["pdftotext", "-bbox", str(built.path), "-"], capture_output=True, check=True, text=True)
    page_box = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
    word_box = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">')
    width, height = map(float, page_box.search(out.stdout).groups())
    for match in word_box.finditer(out.stdout):
        x0, y0, x1, y1 = map(float, match.groups())
        assert x0 > 10 * MM and y0 > 10 * MM and x1 < width - 10 * MM and y1 < height - 10 * MM


def test_handout_pack_has_one_page_per_handout(fixture_manuals):
    built = fixture_manuals.get(kind="handouts", lang="en", modules=["basics"])
    pages = page_texts(built.path)
    assert len(pages) == 1 and "Limits card" in pages[0] and "Keep this card." in pages[0]
    assert [t for _, t, _ in outline_titles(reader(built.path))] == ["Basics", "Limits card"]


# -- scripts and direction -----------------------------------------------------------------


def footer_side(path: Path, page: int) -> str:
    """Which bottom corner holds 'Page N of M': 'left' or 'right'."""
    pdf = reader(path)
    width, height = float(pdf.pages[0].mediabox.width), float(pdf.pages[0].mediabox.height)
    strip = 20 * MM

    def text_in(x0: float) -> str:
        args = ["-f", str(page), "-l", str(page), "-x", str(int(x0)), "-y", str(int(height - strip))]
        args += ["-W", str(int(width / 2)), "-H", str(int(strip))]
        text = subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True).stdout
        return re.sub("[\u202a-\u202e]", "", text)  # pdftotext's direction marks

    left, right = text_in(0), text_in(width / 2)
    # "Page 2 of 13" in the manual's language: find the corner holding the number.
    # "N <word> M" ("2 of 8", "2 מתוך 8", "2 / 8"): the other side carries a revision (hex) and a
    # date, whose digits must not count.
    number = re.compile(rf"(?<!\w){page}\s*(?:[^\W\d_]+|/)\s*\d+(?!\w)")
    assert bool(number.search(left)) != bool(number.search(right)), (left, right)
    return "left" if number.search(left) else "right"


def hebrew_manuals(tmp_path_factory) -> tuple[Manuals, dict]:
    """The real curriculum when its Hebrew translations are there, the fixture curriculum otherwise."""
    translated = sorted(p.parent.name for p in (REAL_CURRICULUM / "modules").glob("*/he.md"))
    tmp = tmp_path_factory.mktemp("hebrew")
    if translated:
        return Manuals(REAL_CURRICULUM, tmp), {"site": "galil", "modules": translated[:1]}
    return Manuals(copy_curriculum(tmp), tmp), {"site": "testsite"}


@pytest.fixture(scope="module")
def hebrew(tmp_path_factory):
    manuals, choices = hebrew_manuals(tmp_path_factory)
    return manuals, manuals.get(kind="manual", lang="he", **choices), choices


def test_hebrew_manual_has_its_text_and_no_missing_glyphs(hebrew):
    manuals, built, choices = hebrew
    text = plain(" ".join(page_texts(built.path)))
    with manuals.app.app_context():
        views = manuals.store.modules("he", choices.get("site"))
    hebrew_views = [
        v for v in views if v.content_lang == "he" and (not choices.get("modules") or v.slug in choices["modules"])
    ]
    assert hebrew_views
    for view in hebrew_views:
        # pdftotext writes right-to-left words in reading order within a line; compare word by word.
        for word in view.title.split():
            assert word in text or word[::-1] in text, word
    pdf = reader(built.path)
    assert missing_glyphs(pdf) == []
    assert pdf.trailer["/Root"]["/Lang"] == "he"
    assert any("NotoSansHebrew" in row["name"].replace("-", "") for row in fonts(built.path))
    assert all(row["emb"] == "yes" for row in fonts(built.path))


def test_right_to_left_pages_mirror_page_number_sides(fixture_manuals, hebrew):
    ltr = fixture_manuals.get(kind="manual", lang="en", site="testsite").path
    rtl = hebrew[1].path
    # Left-to-right: page 1 is a right-hand page, so odd pages number on the right (the outer edge).
    assert footer_side(ltr, 2) == "left" and footer_side(ltr, 3) == "right"
    # Right-to-left: the book opens the other way, so odd pages number on the left.
    assert footer_side(rtl, 2) == "right" and footer_side(rtl, 3) == "left"


def test_mixed_hebrew_latin_and_digits_read_right_to_left(tmp_path_factory):
    """'עמיתים מקשיבים, למשל ב-3 מפגשים עם B2. ראו …' must run right to left with B2 and 3 in place."""
    tmp = tmp_path_factory.mktemp("mixed")
    manuals = Manuals(copy_curriculum(tmp), tmp)
    path = manuals.get(kind="workbook", lang="he", modules=["basics"]).path
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True, text=True).stdout
    words = [
        (float(x), float(y), w)
        for x, y, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]+)</word>', out
        )
    ]
    line_y = next(y for x, y, w in words if "B2" in w)
    line = [(x, w) for x, y, w in words if abs(y - line_y) < 2]

    def x_of(logical: str) -> float:
        # Hebrew words come out in visual (reversed) order; Latin and digits as written.
        return next(x for x, w in line if logical in w or logical[::-1] in w)

    in_reading_order = ["עמיתים", "מקשיבים", "למשל", "3", "מפגשים", "עם", "B2", "ראו", "הקשבה"]
    xs = [x_of(w) for w in in_reading_order]
    assert xs == sorted(xs, reverse=True), list(zip(in_reading_order, xs, strict=True))


def test_gujarati_manual_has_its_text_and_no_missing_glyphs(fixture_manuals):
    built = fixture_manuals.get(kind="manual", lang="gu", site="testsite")
    text = plain(" ".join(page_texts(built.path)))
    for phrase in ("મૂળભૂત બાબતો", "પ્રથમ પગલાં", "સમયનું ધ્યાન રાખો", "મર્યાદા કાર્ડ", "વ્યક્તિગત"):
        assert phrase in text, phrase
    pdf = reader(built.path)
    assert missing_glyphs(pdf) == []
    assert pdf.trailer["/Root"]["/Lang"] == "gu"
    table = fonts(built.path)
    assert any("NotoSansGujarati" in row["name"].replace("-", "") for row in table)
    assert all(row["emb"] == "yes" for row in table)
    assert "Basics" in [t for _, t, _ in outline_titles(pdf)] or "મૂળભૂત બાબતો" in [t for _, t, _ in outline_titles(pdf)]


def test_missing_glyph_check_finds_a_box(tmp_path):
    """The check above would notice: a private-use character no font has becomes a .notdef box."""
    from training.manuals.pdf import render_pdf

    result = render_pdf('<html lang="en"><body><p>Box: \ue000</p></body></html>', [tmp_path])
    assert [char for _, char in missing_glyphs(reader(result.pdf))] == ["\ue000"]
    assert any(".notdef" in w for w in result.warnings)


def test_images_are_scaled_to_the_page(tmp_path):
    from PIL import Image

    from training.manuals.pdf import render_pdf

    root = copy_curriculum(tmp_path)
    Image.new("RGB", (4000, 600), "white").save(root / "modules" / "basics" / "images" / "tree.png")
    manuals = Manuals(root, tmp_path)
    with manuals.app.app_context():
        builder = builder_for(manuals.app, InlineRenderer())
        prepared = builder.prepare(resolve(manuals.store, kind="workbook", lang="en", modules=["basics"]))
        html = builder.document(prepared).html
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    from training.manuals.pdf import LocalFetcher

    document = HTML(string=html, url_fetcher=LocalFetcher([root, Path(manuals.app.static_folder)])).render()

    def images(box):
        if isinstance(box, boxes.ReplacedBox):
            yield box
        for child in getattr(box, "children", []):
            yield from images(child)

    found = [(page, box) for page in document.pages for box in images(page._page_box)]
    assert found
    for page, box in found:
        content_width = page.width - 40 * MM
        assert box.width <= content_width + 0.5
    assert render_pdf(html, [root, Path(manuals.app.static_folder)]).warnings == []


@pytest.mark.parametrize(
    ("lang", "direction", "text", "font"),
    [
        ("ar", "rtl", "الطاقة والصحة النفسية للعاملين", "NotoSansArabic"),
        ("hi", "ltr", "नमस्ते दुनिया, प्रशिक्षण कार्यक्रम", "NotoSansDevanagari"),
    ],
)
def test_arabic_and_devanagari_are_ready(tmp_path, lang, direction, text, font):
    """Not shipped yet: the stylesheet's font stacks already cover them, with an exact text layer."""
    from training.manuals.document import BASE_STYLESHEET, STYLESHEET
    from training.manuals.pdf import render_pdf

    links = "".join(f'<link rel="stylesheet" href="{s.as_uri()}">' for s in (BASE_STYLESHEET, STYLESHEET))
    html = f'<html lang="{lang}" dir="{direction}"><head>{links}</head>'
    html += f"<body><p>{text}</p></body></html>"
    path = tmp_path / "sample.pdf"
    path.write_bytes(render_pdf(html, [STYLESHEET.parent]).pdf)
    assert text in plain(" ".join(page_texts(path)))
    assert missing_glyphs(reader(path)) == []
    assert any(font in row["name"].replace("-", "") and row["emb"] == "yes" for row in fonts(path))
