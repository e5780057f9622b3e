"""CSV for spreadsheets: every text cell defused, so a typed name like '=HYPERLINK(…)' stays text."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Numbers pass through; text that a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.lstrip(" ").startswith(_FORMULA_START):
        return "'" + text
    return text


_RISKY_START = frozenset("=+-@\t\r ")  # text starting with anything else is safe as it is


def _cell(value: Any) -> Any:
    # Exports have tens of thousands of cells: most are plain text, checked by their first character.
    if type(value) is str and value[:1] not in _RISKY_START:
        return value
    return safe_cell(value)


def csv_text(header: list[str], rows: Iterable[Iterable[Any]], plain_columns: Collection[int] = ()) -> str:
    """CSV with a header line; ``plain_columns`` are positions that never hold typed text (ids,
    numbers, ISO dates, None): written as they are, unchecked."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    if not plain_columns:
        writer.writerows([_cell(v) for v in row] for row in rows)
        return out.getvalue()
    checked = [i for i in range(len(header)) if i not in plain_columns]

    def defused(row: Iterable[Any]) -> list[Any]:
        values = list(row)
        for i in checked:
            values[i] = _cell(values[i])
        return values

    writer.writerows(map(defused, rows))
    return out.getvalue()
