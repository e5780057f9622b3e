"""Reading a CSV someone typed up from paper: any common spreadsheet dialect, every problem by line.

Spreadsheets save CSV in different ways (comma or semicolon, with or without a
byte-order mark); all of them are read. Problems never raise: they are
collected with the line number the person sees in their spreadsheet.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from ..textcheck import has_control_characters

MAX_ROWS = 5000


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, values by column)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


MAX_BYTES = 1_400_000  # the checked file travels back with the confirm button (base64, under the 2 MB limit)
MAX_PROBLEMS = 100


def read_table(
    data: bytes, required: tuple[str, ...], optional: tuple[str, ...] = (), max_bytes: int = MAX_BYTES
) -> Table:
    """Parse CSV bytes; column names are matched case-insensitively.

    Line numbers are the spreadsheet's row numbers (the header is row 1), so a
    cell with a line break inside does not shift the numbers that follow."""
    if len(data) > max_bytes:
        size = format_decimal(round(max_bytes / 1_000_000, 1))
        message = _l("The file is too large (at most %(n)s MB). Split it into smaller files.", n=size)
        return Table([], [], [(1, str(message))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Table(
            [], [], [(1, str(_l("The file is not UTF-8 text. In your spreadsheet, save it as \u201cCSV UTF-8\u201d.")))]
        )
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return Table([], [], [(1, str(_l("The file is empty: the first line must name the columns.")))])
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(records)]
    except csv.Error:
        return Table([], [], [(1, str(_l("The first line cannot be read as CSV.")))])
    table = Table(header, [])
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h and h not in required + optional]
    if missing:
        table.problems.append((1, str(_l("Missing column(s): %(columns)s.", columns=", ".join(missing)))))
    if unknown:
        table.problems.append(
            (
                1,
                str(
                    _l(
                        "Unknown column(s): %(columns)s. Expected: %(expected)s.",
                        columns=", ".join(unknown),
                        expected=", ".join(required + optional),
                    )
                ),
            )
        )
    if missing or unknown:
        return table
    row = 1
    while True:
        row += 1
        try:
            values = next(records)
        except StopIteration:
            break
        except csv.Error:
            table.problems.append((row, str(_l("This line cannot be read: check its quotation marks."))))
            break
        if row - 1 > MAX_ROWS:
            table.problems.append((row, str(_l("Too many lines: at most %(n)s per file.", n=MAX_ROWS))))
            break
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            table.problems.append(
                (
                    row,
                    str(_l("This line has %(n)s values; the header has %(m)s columns.", n=len(values), m=len(header))),
                )
            )
        elif bad := [h for h, v in zip(header, values, strict=True) if has_control_characters(v, multiline=True)]:
            table.problems.append(
                (row, str(_l("Column “%(column)s” holds invisible control characters: remove them.", column=bad[0])))
            )
        else:
            table.rows.append((row, {h: v.strip() for h, v in zip(header, values, strict=True)}))
        if len(table.problems) >= MAX_PROBLEMS:
            table.problems.append((row, str(_l("Stopped after %(n)s problems; correct these first.", n=MAX_PROBLEMS))))
            break
    if not table.rows and not table.problems:
        table.problems.append((2, str(_l("The file has a header but no data lines."))))
    return table
