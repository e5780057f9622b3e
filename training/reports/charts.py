"""Server-rendered SVG bar charts: no JavaScript, the same markup on screen and in the PDFs.

Geometry is computed here (plain numbers the template places), mirrored for right-to-left
pages so that bars grow from the start of the line in Hebrew as in German. The chart is
decoration for sighted readers: the page always shows the same numbers as a table too.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVEL_COLOURS = ("#b3261e", "#e8a33d", "#5b9b4a", "#2f6b8f")  # 0 harmful .. 3 advanced


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    colour: str
    count: int
    level: int


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_x: float
    label_anchor: str
    bars: tuple[Bar, ...]
    bar_height: int


def stacked_bars(
    rows: list[tuple[str, tuple[int, ...]]], *, rtl: bool = False, width: int = 360, bar_height: int = 14
) -> BarChart:
    """One horizontal bar per (label, counts per level), each scaled to the largest total."""
    label_width, gap = 70, 4
    plot = width - label_width - 2 * gap
    largest = max((sum(counts) for _, counts in rows), default=0) or 1
    bars = []
    for index, (label, counts) in enumerate(rows):
        offset, segments = 0.0, []
        for level, count in enumerate(counts):
            length = plot * count / largest
            start = label_width + gap + offset
            x = width - start - length if rtl else start
            if count:
                segments.append(Segment(round(x, 2), round(length, 2), LEVEL_COLOURS[level], count, level))
            offset += length
        bars.append(Bar(label, index * (bar_height + gap) + gap, tuple(segments)))
    height = len(rows) * (bar_height + gap) + gap
    label_x = width - label_width + gap if rtl else label_width - gap
    return BarChart(width, height, label_x, "start" if rtl else "end", tuple(bars), bar_height)
