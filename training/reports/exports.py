"""One table, two spreadsheet formats: CSV (via csvutil) and .xlsx (openpyxl, write-only)."""

from __future__ import annotations

import io
from typing import Any

from ..csvutil import csv_text, safe_cell

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_export(header: list[str], rows: list[list[Any]]) -> str:
    return csv_text(header, rows)


def xlsx_export(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """A workbook with one sheet per (title, header, rows); text that looks like a formula stays text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(header)
        for row in rows:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl would store "=…" as a formula otherwise
                cells.append(cell)
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value: Any) -> Any:
    # Same defusing as the CSV, so the two files show the same text.
    return None if value is None else safe_cell(value)
