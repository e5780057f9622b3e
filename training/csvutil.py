"""Tables for spreadsheets: CSV that Excel opens in every language, and .xlsx.

Every text cell is defused, so a typed name like '=HYPERLINK(…)' stays text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable
from typing import Any

from babel.numbers import get_decimal_symbol
from flask import Response

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


def csv_delimiter(lang: str) -> str:
    """Excel splits CSV on the list separator of the reader's region: ';' where the decimal mark is a comma."""
    return ";" if get_decimal_symbol(lang) == "," else ","


def csv_bytes(header: list[str], rows: Iterable[Iterable[Any]], lang: str = "en") -> bytes:
    """CSV that Excel opens as UTF-8 (a byte-order mark) and splits into columns in the reader's locale."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=csv_delimiter(lang))
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(header: list[str], rows: Iterable[Iterable[Any]], title: str = "PeerPath") -> bytes:
    """The same table as an .xlsx workbook (openpyxl); text cells stay text, never formulas."""
    from openpyxl import Workbook  # imported on first use: it loads Pillow, which start-up should not
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "PeerPath")
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a typed '=…' is shown, not run
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_response(
    header: list[str], rows: Iterable[Iterable[Any]], filename: str, lang: str, fmt: str | None = None
) -> Response:
    """A download of one table: CSV for the reader's locale, or .xlsx when ``fmt`` is 'xlsx'."""
    from .downloads import download

    stem = filename.rsplit(".", 1)[0]
    if fmt == "xlsx":
        return download(xlsx_bytes(header, list(rows)), f"{stem}.xlsx", XLSX_MIMETYPE)
    return download(csv_bytes(header, rows, lang), f"{stem}.csv", "text/csv")


_NUMBER = re.compile(r"-?\d{1,15}")


def spreadsheet_from_csv(text: str, filename: str, lang: str, fmt: str | None = None) -> Response:
    """``spreadsheet_response`` for a table already written as CSV (the fast exports write CSV directly)."""
    table = list(csv.reader(io.StringIO(text)))
    header, rows = (table[0], table[1:]) if table else ([], [])
    if fmt == "xlsx":  # whole numbers back to numbers; text as typed (an .xlsx text cell runs nothing)
        rows = [[_from_csv_cell(v) for v in row] for row in rows]
    return spreadsheet_response(header, rows, filename, lang, fmt)


def _from_csv_cell(value: str) -> Any:
    if _NUMBER.fullmatch(value):
        return int(value)
    if value.startswith("'") and value[1:].lstrip(" ").startswith(_FORMULA_START):
        return value[1:]  # the CSV writer's defusing quote; xlsx_bytes stores the text as text
    return value
