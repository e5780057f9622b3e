"""Tables for spreadsheets: CSV that Excel opens in every language, and .xlsx.

Every text cell is defused, so a typed name like '=HYPERLINK(…)' stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from babel.numbers import get_decimal_symbol
from flask import Response
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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


def csv_text(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
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
    from openpyxl import Workbook

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
