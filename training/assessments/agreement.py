"""Inter-rater agreement: the six intraclass correlations of Shrout & Fleiss (1979).

Plain Python, no Flask and no database, so the command line, the calibration pages and the
tests compute the same numbers. Sums of squares are computed with exact fractions from the
scores as given, so the result does not depend on the order of the rows; only the final
ratios become floats.

Notation (Shrout & Fleiss 1979; McGraw & Wong 1996 name the same forms ICC(A,1) for
ICC(2,1) and ICC(C,1) for ICC(3,1)): n targets each rated by the same k raters; BMS is
the between-targets mean square, WMS the within-target mean square, JMS the between-raters
mean square and EMS the residual mean square of the two-way table.

- ICC(1,1): one-way random, each target rated by a different random set of raters
- ICC(2,1): two-way random, absolute agreement (rater differences count as error)
- ICC(3,1): two-way mixed, consistency (these raters only; a constant offset is forgiven)
- ICC(1,k), ICC(2,k), ICC(3,k): the same for the mean of the k raters
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

ICC_NAMES = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)")


@dataclass(frozen=True)
class MeanSquares:
    n: int  # targets
    k: int  # raters
    bms: Fraction
    wms: Fraction
    jms: Fraction
    ems: Fraction


def mean_squares(table: Sequence[Sequence[Fraction | int | float]]) -> MeanSquares:
    """The ANOVA mean squares of a complete targets x raters table (rows are targets)."""
    n = len(table)
    if n < 2:
        raise ValueError("at least two targets are needed")
    k = len(table[0])
    if k < 2:
        raise ValueError("at least two raters are needed")
    if any(len(row) != k for row in table):
        raise ValueError("every target needs a score from every rater")
    x = [[Fraction(v) for v in row] for row in table]
    grand = sum(sum(row) for row in x) / (n * k)
    row_means = [sum(row) / k for row in x]
    col_means = [sum(x[i][j] for i in range(n)) / n for j in range(k)]
    ss_total = sum((v - grand) ** 2 for row in x for v in row)
    ss_rows = k * sum((m - grand) ** 2 for m in row_means)
    ss_cols = n * sum((m - grand) ** 2 for m in col_means)
    ss_within = ss_total - ss_rows
    ss_error = ss_total - ss_rows - ss_cols
    return MeanSquares(
        n=n,
        k=k,
        bms=ss_rows / (n - 1),
        wms=ss_within / (n * (k - 1)),
        jms=ss_cols / (k - 1),
        ems=ss_error / ((n - 1) * (k - 1)),
    )


def _ratio(top: Fraction, bottom: Fraction) -> float | None:
    # A table without any variance has no defined agreement: say so rather than divide by zero.
    return None if bottom == 0 else float(top / bottom)


def icc_all(table: Sequence[Sequence[Fraction | int | float]]) -> dict[str, float | None]:
    """All six intraclass correlations, keyed as in ICC_NAMES; None where undefined (no variance)."""
    m = mean_squares(table)
    n, k, bms, wms, jms, ems = m.n, m.k, m.bms, m.wms, m.jms, m.ems
    return {
        "ICC(1,1)": _ratio(bms - wms, bms + (k - 1) * wms),
        "ICC(2,1)": _ratio(bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n),
        "ICC(3,1)": _ratio(bms - ems, bms + (k - 1) * ems),
        "ICC(1,k)": _ratio(bms - wms, bms),
        "ICC(2,k)": _ratio(bms - ems, bms + (jms - ems) / n),
        "ICC(3,k)": _ratio(bms - ems, bms),
    }


class AgreementFileError(ValueError):
    """A ratings file that cannot be used, with the line it concerns (0: the file as a whole)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class RatingsTable:
    targets: list[str]
    raters: list[str]
    scores: list[list[Fraction]]  # rows: targets, columns: raters


def parse_number(text: str) -> Fraction:
    """A score as written ("2", "2.5", "-1"): exact, finite, never NaN."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return Fraction(value)


def read_ratings(lines: Iterable[str]) -> RatingsTable:
    """A complete targets x raters table from CSV text with columns target,rater,score."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise AgreementFileError(1, "the file is empty; expected the columns target,rater,score")
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    try:
        t_col, r_col, s_col = (names.index(c) for c in ("target", "rater", "score"))
    except ValueError:
        raise AgreementFileError(1, f"expected the columns target,rater,score, found {','.join(header)}") from None
    cells: dict[tuple[str, str], Fraction] = {}
    targets: dict[str, int] = {}  # target -> first line it appears on
    raters: dict[str, int] = {}
    width = max(t_col, r_col, s_col) + 1
    for row in reader:
        line = reader.line_num
        if not any(field.strip() for field in row):
            continue
        if len(row) < width:
            raise AgreementFileError(line, "expected three values: target,rater,score")
        target, rater, raw = row[t_col].strip(), row[r_col].strip(), row[s_col]
        if not target:
            raise AgreementFileError(line, "target is empty")
        if not rater:
            raise AgreementFileError(line, "rater is empty")
        try:
            score = parse_number(raw)
        except ValueError:
            raise AgreementFileError(line, f"score {raw.strip()!r} is not a number") from None
        if (target, rater) in cells:
            raise AgreementFileError(line, f"target {target!r} already has a score from rater {rater!r}")
        cells[(target, rater)] = score
        targets.setdefault(target, line)
        raters.setdefault(rater, line)
    if len(raters) < 2:
        raise AgreementFileError(0, f"{len(raters)} rater(s) found; agreement needs at least two")
    if len(targets) < 2:
        raise AgreementFileError(0, f"{len(targets)} target(s) found; agreement needs at least two")
    for target, first_line in targets.items():
        for rater in raters:
            if (target, rater) not in cells:
                raise AgreementFileError(first_line, f"target {target!r} has no score from rater {rater!r}")
    target_ids, rater_ids = list(targets), list(raters)
    return RatingsTable(target_ids, rater_ids, [[cells[(t, r)] for r in rater_ids] for t in target_ids])


def format_results(results: dict[str, float | None]) -> list[str]:
    """One line per coefficient, as `ICC(2,1) 0.290` (`undefined` when there is no variance)."""
    return [f"{name} {'undefined' if results[name] is None else f'{results[name]:.3f}'}" for name in ICC_NAMES]
