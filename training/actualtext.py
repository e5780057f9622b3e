"""An exact text layer for Indic and other shaped left-to-right scripts: a workaround for WeasyPrint #2841.

WeasyPrint maps each glyph to Unicode once, the first time it draws it. In
scripts where shaping reuses a glyph in different clusters (half forms,
reph, conjuncts) the page looks right but copied or extracted
text loses or swaps letters: "સમયનું" came out as "સમ નું". Search, copy
and screen readers all read that layer.

PDF has a standard answer: a marked-content span with ``/ActualText``
carrying the real text of the glyphs inside it. WeasyPrint already wraps
every text box in ``stream.marked(box, "Span")`` (used for tagged PDF);
for text boxes in shaped scripts we make that span carry ``ActualText``.
The drawing itself is untouched. Latin and Hebrew extract correctly
without it and are left alone; so is Arabic, because Poppler reverses
right-to-left ActualText a second time (checked: without the span, an
Arabic sample extracts correctly). Installed once per process by ``pdf.py``;
``test_manuals_pdf`` checks the extracted Gujarati text, so an upgrade that
changes this hook shows up there.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pydyf
from weasyprint.pdf.stream import Stream

# Indic (Devanagari to Sinhala), Thai, Lao, Tibetan, Myanmar, Khmer.
SHAPED = re.compile("[\u0900-\u0dff\u0e00-\u0fff\u1000-\u109f\u1780-\u17ff]")
_original_marked = Stream.marked


def _marked(self, box, tag):
    # Called for every text box: keep the common path (no shaped script) to one regex search.
    if tag == "Span" and self._tags is None:
        text = getattr(box, "text", "")
        if text and SHAPED.search(text):
            return _actual_text(self, text)
    return _original_marked(self, box, tag)


@contextmanager
def _actual_text(stream, text: str):
    pydyf.Stream.begin_marked_content(stream, "Span", pydyf.Dictionary({"ActualText": pydyf.String(text)}))
    try:
        yield
    finally:
        pydyf.Stream.end_marked_content(stream)


def install() -> None:
    """Idempotent: patch WeasyPrint's text spans in this process."""
    if Stream.marked is not _marked:
        Stream.marked = _marked
