"""What typed text may contain: one set of rules for forms, CSV files, query strings and names.

- Control characters (NUL and friends) never reach the database: PostgreSQL refuses
  NUL outright (a 500) and SQLite would store it. Tab, line feed and carriage return
  are allowed in multi-line text only.
- Bidirectional override and isolate characters (U+202A–U+202E, U+2066–U+2069) are
  removed from names: one of them can make the rest of a line read backwards.
- A name must contain something visible: zero-width characters and spaces alone are
  not a name.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l

BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_MULTILINE_OK = frozenset("\t\n\r")
MAX_DB_INT = 2**31 - 1  # every id column is a 32-bit integer on PostgreSQL
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2199, 12, 31)

CONTROL_MESSAGE = _l("Remove the invisible control characters from this text.")
INVISIBLE_NAME_MESSAGE = _l("Enter a name with visible letters.")
DATE_RANGE_MESSAGE = _l("Enter a date between 1900 and 2199.")
INT_RANGE_MESSAGE = _l("Choose one of the offered values.")


def has_control_characters(text: str, multiline: bool = False) -> bool:
    """True when the text holds a control character (category Cc) other than allowed whitespace."""
    return any(unicodedata.category(c) == "Cc" and not (multiline and c in _MULTILINE_OK) for c in text)


def strip_bidi_controls(text: str) -> str:
    return BIDI_CONTROLS.sub("", text)


def _visible(char: str) -> bool:
    # Letters, digits, punctuation and symbols show; separators and format characters
    # (zero-width space, joiners, marks of direction) do not.
    return unicodedata.category(char)[0] in "LNPS"


def clean_name(text: str | None) -> str:
    """A person's or group's name as stored: no direction overrides, whitespace folded."""
    return " ".join(strip_bidi_controls(text or "").split())


def name_problem(text: str) -> str | None:
    """Why a (cleaned) name cannot be used, or None."""
    if has_control_characters(text):
        return str(CONTROL_MESSAGE)
    if text and not any(_visible(c) for c in text):
        return str(INVISIBLE_NAME_MESSAGE)
    return None


def date_in_range(value: date) -> bool:
    return FIRST_DATE <= value <= LAST_DATE


def int_in_range(value: int) -> bool:
    return 0 <= value <= MAX_DB_INT
