"""Helpers for the manuals tests: curriculum copies, a Gujarati module, stand-in renderers, reading PDFs back."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from training.curriculum import revision_of
from training.manuals.pdf import RenderResult

from .conftest import FIXTURE_CURRICULUM

GUJARATI_BASICS = """---
title: મૂળભૂત બાબતો
summary: પ્રથમ પગલાં.
objectives:
  - સાથી કાર્યકરની ભૂમિકા જાણો.
  - પોતાની મર્યાદાઓ ઓળખો.
source_revision: {revision}
---

મૂળભૂત બાબતોમાં આપનું સ્વાગત છે.

## સાથીઓ શું કરે છે {{#role}}

સાથીઓ ધ્યાનથી સાંભળે છે, ઉદાહરણ તરીકે 3 મુલાકાતોમાં B2 સાથે. જુઓ [સાંભળવું](module:listening#reflect).

::: activity title="શરૂઆતની પ્રવૃત્તિ" duration=15
જોડીમાં વાત કરો અને પ્રશ્નો પૂછો.

::: trainer
સમયનું ધ્યાન રાખો; દરેક વ્યક્તિને બોલવાની તક આપો.
:::
:::

## મર્યાદાઓ {{#limits}}

::: reflection id=my-limits
તમારી વ્યક્તિગત મર્યાદાઓ કઈ છે?
:::

::: handout id=limits-card title="મર્યાદા કાર્ડ"
આ કાર્ડ તમારી પાસે સુરક્ષિત રાખો.
:::
"""


def copy_curriculum(tmp_path: Path, source: Path = FIXTURE_CURRICULUM) -> Path:
    target = tmp_path / "curriculum"
    shutil.copytree(source, target)
    return target


def add_gujarati(root: Path) -> None:
    """Make Gujarati a language of the curriculum and of the test site, and translate 'basics'."""
    meta = root / "curriculum.yaml"
    meta.write_text(meta.read_text().replace("languages: [en, he]", "languages: [en, he, gu]"), encoding="utf-8")
    site = root / "sites" / "testsite" / "site.yaml"
    site.write_text(site.read_text().replace("languages: [he, en]", "languages: [he, en, gu]"), encoding="utf-8")
    source = (root / "modules" / "basics" / "en.md").read_bytes()
    (root / "modules" / "basics" / "gu.md").write_text(
        GUJARATI_BASICS.format(revision=revision_of(source)), encoding="utf-8"
    )


def write_later(path: Path, text: str) -> None:
    """Change a file so that the store sees it even within one clock tick."""
    import os

    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10_000_000, before + 10_000_000))


class FakeRenderer:
    """Stands in for WeasyPrint where only the plumbing is under test; counts calls, can fail."""

    def __init__(self, fail: Exception | None = None):
        self.calls = 0
        self.fail = fail
        self.htmls: list[str] = []

    def render(self, html, roots, *, on_progress=None, pages_estimate=50) -> RenderResult:
        self.calls += 1
        self.htmls.append(html)
        if on_progress:
            for percent in (10, 50, 90):
                on_progress(percent)
        if self.fail:
            raise self.fail
        return RenderResult(
            pdf=b"%PDF-1.7\n% fake " + str(self.calls).encode() + b"\n%%EOF\n", pages=3, seconds=0.01, peak_rss_mb=1.0
        )


# -- reading PDFs back ---------------------------------------------------------


def reader(path_or_bytes: Path | bytes) -> PdfReader:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    return PdfReader(io.BytesIO(data))


def page_texts(path: Path) -> list[str]:
    """Each page's text, by Poppler's pdftotext (pages are separated by form feeds)."""
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    pages = out.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def fonts(path: Path) -> list[dict[str, str]]:
    """Poppler's pdffonts table: name, type, embedded ('yes'/'no')."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout.splitlines()
    rows = []
    for line in out[2:]:
        parts = line.split()
        # name type... encoding emb sub uni object ID: the last five columns are fixed.
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return rows


def outline_titles(pdf: PdfReader) -> list[tuple[int, str, int]]:
    """(level, title, page number from 1) for every bookmark, in order."""
    result: list[tuple[int, str, int]] = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                result.append((level, item.title, pdf.get_destination_page_number(item) + 1))

    walk(pdf.outline, 1)
    return result


def missing_glyphs(pdf: PdfReader) -> list[tuple[str, str]]:
    """(font, character) for every glyph drawn as a missing-glyph box.

    WeasyPrint gives such fonts an encoding CMap that sends the missing
    characters' codes to CID 0 (.notdef); the ToUnicode map names them.
    """
    found, seen = [], set()
    for page in pdf.pages:
        for ref in page.get("/Resources", {}).get("/Font", {}).values():
            font = ref.get_object()
            encoding = font.get("/Encoding")
            if id(font) in seen or encoding is None or not hasattr(encoding.get_object(), "get_data"):
                continue
            seen.add(id(font))
            cmap = encoding.get_object().get_data().decode("latin-1")
            to_unicode = font["/ToUnicode"].get_object().get_data().decode("latin-1") if "/ToUnicode" in font else ""
            for code, cid in re.findall(r"<([0-9a-fA-F]+)>\s+(\d+)", cmap):
                if cid == "0" and int(code, 16) != 0:
                    match = re.search(rf"<{code}>\s*<([0-9a-fA-F]+)>", to_unicode, re.IGNORECASE)
                    char = bytes.fromhex(match.group(1)).decode("utf-16-be") if match else "?"
                    found.append((str(font["/BaseFont"]), char))
    return found


@pytest.fixture
def root(tmp_path):
    """A private copy of the fixture curriculum, free to change."""
    return copy_curriculum(tmp_path)


@pytest.fixture
def app(request, tmp_path, root):
    """The app on the private curriculum copy, inside an app context."""
    from .conftest import app_for

    app = app_for(request, tmp_path, root)
    with app.app_context():
        yield app


@pytest.fixture
def store(app):
    return app.extensions["curriculum"]
