"""A module file as translation segments, and the same file with new segment texts put back.

One segment per front matter text (title, summary, each objective), section
title, block title, heading, paragraph, list item and table cell. Each has a
stable id built from section and block ids (``staying-in-role/activity[1]/li2``),
so tools such as Weblate, Crowdin or OmegaT can carry it as context.

The file structure comes from the module parser (sections, role blocks) and
from markdown-it-py (paragraphs, list items, headings, tables, with their
lines), so nothing outside a segment's own text is ever rewritten: ids, block
lines, attributes and the rest of the front matter stay byte for byte. A
segment whose text is unchanged is not touched at all, so exporting and
importing an unchanged translation gives back the identical file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from markdown_it import MarkdownIt

from .document import Block, ModuleDoc, Node, Text, parse_module, split_front_matter
from .yamlfile import key_lines, load_yaml

META = "_meta"
INTRO = "_intro"
META_TEXT_KEYS = ("title", "summary")

_md = MarkdownIt("commonmark").enable("table")
_SECTION_HEADING_RE = re.compile(r"^(##\s*)(.*?)(\s*\{\s*#[^}]*\}\s*)$")
_ATTR_LIST_TAIL_RE = re.compile(r"\s*\{[^}]*\}\s*$")
_TITLE_ATTR_RE = re.compile(r'(?<=\s)title=("(?:[^"\\]|\\.)*"|\S+)')
_CELL_SPLIT_RE = re.compile(r"(?<!\\)\|")
_HARD_BREAK_RE = re.compile(r"(\\| {2,})$")


@dataclass(frozen=True)
class Segment:
    """One translatable text of a module file and where it stands."""

    id: str
    text: str
    line: int  # 1-based file line of the first line
    kind: str  # meta | title | block-title | heading | paragraph | item | cell
    note: str  # where it stands, for translators
    start: int = 0  # 0-based file line index of the first line …
    end: int = 0  # … and one past the last
    before: str = ""  # what precedes the text on its first line (list mark, '### ', indentation)
    after: str = ""  # what follows it on its last line (' {#id}')
    cont: str = ""  # what starts each further line (hard line breaks)
    extra: Mapping[str, Any] = field(default_factory=dict)


class SegmentError(ValueError):
    """A segment text that cannot be put into the file (it would break its structure)."""

    def __init__(self, segment_id: str, message: str):
        super().__init__(message)
        self.segment_id = segment_id


def _inline_text(content: str) -> str:
    """Soft-wrapped lines become one line; hard line breaks (trailing backslash or two spaces) stay."""
    raw_lines = content.split("\n")
    pieces = []
    for n, raw in enumerate(raw_lines):
        line = raw.strip()
        if n == len(raw_lines) - 1:
            pieces.append(line)
        elif raw.endswith("\\") or raw.endswith("  "):
            pieces.append(line + ("  " if raw.endswith("  ") else "") + "\n")
        else:
            pieces.append(line + " ")
    return "".join(pieces)


def _cells(line: str) -> tuple[list[str], int, int]:
    """A table row split at its unescaped pipes, and the range of real cells in it."""
    cells = _CELL_SPLIT_RE.split(line)
    first = 1 if line.lstrip().startswith("|") else 0
    last = len(cells) - 1 if line.rstrip().endswith("|") and not line.rstrip().endswith("\\|") else len(cells)
    return cells, first, last


class _Walker:
    def __init__(self, lines: list[str]):
        self.lines = lines
        self.out: list[Segment] = []

    def add(self, segment: Segment) -> None:
        if segment.text.strip():
            self.out.append(segment)

    def text_node(self, text: Text, path: str, counters: dict[str, int], where: str) -> None:
        base = text.line - 1  # file line index of the text's first line
        tokens = _md.parse(text.source)
        in_item = 0
        table: tuple[int, int] | None = None  # (table number, row number)
        for i, token in enumerate(tokens):
            if token.type == "list_item_open":
                in_item += 1
            elif token.type == "list_item_close":
                in_item -= 1
            elif token.type == "table_open":
                counters["table"] = counters.get("table", 0) + 1
                table = (counters["table"], 0)
            elif token.type == "tr_open" and table and token.map:
                table = (table[0], table[1] + 1)
                self.row(base + token.map[0], f"{path}/table{table[0]}/r{table[1]}", where)
            elif token.type in ("paragraph_open", "heading_open") and token.map and not table:
                inline = tokens[i + 1]
                kind = "heading" if token.type == "heading_open" else ("item" if in_item else "paragraph")
                key = {"heading": "h", "item": "li", "paragraph": "p"}[kind]
                counters[key] = counters.get(key, 0) + 1
                self.block_text(
                    base + token.map[0],
                    base + token.map[1],
                    inline.content,
                    kind,
                    f"{path}/{key}{counters[key]}",
                    where,
                )
            elif token.type == "table_close":
                table = None

    def block_text(self, start: int, end: int, content: str, kind: str, seg_id: str, where: str) -> None:
        content_lines = content.split("\n")
        first = self.lines[start]
        at = first.find(content_lines[0].strip()) if content_lines[0].strip() else len(first)
        before = first[:at]
        end = start + len(content_lines)  # markdown-it joins exactly the lines the paragraph takes
        after = ""
        text = _inline_text(content)
        if kind == "heading":
            tail = _ATTR_LIST_TAIL_RE.search(text)
            if tail:
                after = self.lines[start][len(before) + len(text[: tail.start()]) :]
                text = text[: tail.start()]
            else:
                after = self.lines[start][len(before) + len(text) :]
        cont = " " * len(before) if before.strip() and not before.lstrip().startswith(">") else before
        self.add(Segment(seg_id, text, start + 1, kind, f"{kind} in {where}", start, end, before, after, cont))

    def row(self, index: int, seg_id: str, where: str) -> None:
        cells, first, last = _cells(self.lines[index])
        for n, cell in enumerate(cells[first:last], start=1):
            self.add(
                Segment(f"{seg_id}c{n}", cell.strip(), index + 1, "cell", f"table cell in {where}", index, index + 1)
            )

    def nodes(self, nodes: tuple[Node, ...], path: str, where: str) -> None:
        counters: dict[str, int] = {}
        for node in nodes:
            if isinstance(node, Text):
                self.text_node(node, path, counters, where)
                continue
            self.block(node, path, counters, where)

    def block(self, block: Block, path: str, counters: dict[str, int], where: str) -> None:
        block_id = block.attrs.get("id")
        if block_id:
            step = f"{block.type}[{block_id}]"
        else:
            counters[f"block:{block.type}"] = counters.get(f"block:{block.type}", 0) + 1
            step = f"{block.type}[{counters[f'block:{block.type}']}]"
        inner = f"{path}/{step}"
        inner_where = f"{where} › {block.type} block"
        if "title" in block.attrs:
            self.add(
                Segment(
                    f"{inner}/title",
                    block.attrs["title"],
                    block.line,
                    "block-title",
                    f"title of a {block.type} block in {where}",
                    block.line - 1,
                    block.line,
                )
            )
        self.nodes(block.children, inner, inner_where)


def _front_matter_segments(doc: ModuleDoc) -> Iterator[Segment]:
    lines = doc.meta_lines
    for key in META_TEXT_KEYS:
        value = getattr(doc.meta, key)
        if value:
            yield Segment(f"{META}/{key}", value, lines.get(key, 2), "meta", f"module {key}")
    for n, objective in enumerate(doc.meta.objectives, start=1):
        yield Segment(f"{META}/objectives[{n}]", objective, lines.get("objectives", 2), "meta", "learning objective")


def segments_of(doc: ModuleDoc, text: str) -> list[Segment]:
    """Every segment of a parsed module file, in file order."""
    lines = text.split("\n")
    walker = _Walker(lines)
    walker.out.extend(_front_matter_segments(doc))
    walker.nodes(doc.intro, INTRO, "the introduction")
    for section in doc.sections:
        heading = _SECTION_HEADING_RE.match(lines[section.line - 1])
        if heading:
            walker.add(
                Segment(
                    f"{section.id}/title",
                    heading.group(2),
                    section.line,
                    "title",
                    f"title of section {section.id}",
                    section.line - 1,
                    section.line,
                    heading.group(1),
                    heading.group(3),
                )
            )
        walker.nodes(section.nodes, section.id, f"section {section.id}")
    return walker.out


def read_segments(data: bytes, slug: str, lang: str, path: str) -> tuple[ModuleDoc, str, list[Segment]]:
    """Parse a module file and list its segments."""
    doc = parse_module(data, slug=slug, lang=lang, path=path)
    text = data.decode("utf-8").replace("\r\n", "\n").lstrip("\ufeff")
    return doc, text, segments_of(doc, text)


def _quote_attr(value: str) -> str:
    if value and re.fullmatch(r"[^\s\"'\\=]+", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _ListIndentDumper(yaml.SafeDumper):
    """Dump lists indented under their key (``  - item``), as the module files are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def _dump(key: str, value: Any) -> list[str]:
    dumped = yaml.dump(
        {key: value}, Dumper=_ListIndentDumper, allow_unicode=True, sort_keys=False, width=1_000_000, indent=2
    )
    return dumped.rstrip("\n").split("\n")


def _check_text(segment: Segment, new: str) -> None:
    if segment.kind in ("meta", "title", "block-title", "heading", "cell") and "\n" in new.strip():
        raise SegmentError(segment.id, "must be one line")
    for line in new.split("\n"):
        stripped = line.strip()
        if stripped.startswith(":::"):
            raise SegmentError(segment.id, "a line may not start with ':::' (that opens or closes a block)")
        if re.match(r"^#{1,6}(\s|$)", stripped) and segment.kind in ("paragraph", "item"):
            raise SegmentError(segment.id, "a line may not start with '#' (that would start a heading or section)")
    if segment.kind == "cell" and _CELL_SPLIT_RE.search(new):
        raise SegmentError(segment.id, "a table cell may not contain '|' (write '\\|')")


def _same(old: str, new: str) -> bool:
    return " ".join(old.split()) == " ".join(new.split())


def apply_segments(text: str, doc: ModuleDoc, segments: list[Segment], new: Mapping[str, str]) -> str:
    """The file text with the segments in ``new`` (id -> text) replaced; unchanged segments keep their bytes."""
    lines = text.split("\n")
    changed = [s for s in segments if s.id in new and not _same(s.text, new[s.id])]
    for segment in changed:
        _check_text(segment, new[segment.id])
    body = [s for s in changed if s.kind != "meta"]
    # Bottom up, so the line numbers of segments above stay right.
    for segment in sorted(body, key=lambda s: (s.start, s.id), reverse=True):
        value = new[segment.id].strip()
        if segment.kind == "block-title":
            line = lines[segment.start]
            lines[segment.start] = _TITLE_ATTR_RE.sub(lambda _m, v=value: "title=" + _quote_attr(v), line, count=1)
        elif segment.kind == "cell":
            line = lines[segment.start]
            cells, first, _last = _cells(line)
            index = first + int(segment.id.rsplit("c", 1)[1]) - 1
            old_cell = cells[index]
            lead = old_cell[: len(old_cell) - len(old_cell.lstrip())]
            trail = old_cell[len(old_cell.rstrip()) :]
            cells[index] = lead + value + trail
            lines[segment.start] = "|".join(cells)
        else:
            parts = value.split("\n")
            replaced = [segment.before + parts[0] + (segment.after if len(parts) == 1 else "")]
            replaced += [segment.cont + p for p in parts[1:-1]]
            if len(parts) > 1:
                replaced.append(segment.cont + parts[-1] + segment.after)
            lines[segment.start : segment.end] = replaced
    meta = [s for s in changed if s.kind == "meta"]
    if meta:
        lines = _apply_front_matter(lines, doc, {s.id: new[s.id].strip() for s in meta})
    return "\n".join(lines)


def _apply_front_matter(lines: list[str], doc: ModuleDoc, values: Mapping[str, str]) -> list[str]:
    front, first, _body, _ = split_front_matter("\n".join(lines), doc.path)
    data = load_yaml(front, doc.path, first) or {}
    positions = key_lines(front, first)  # key -> 1-based file line
    end_of_front = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    starts = sorted(positions.values())

    def span(key: str) -> tuple[int, int]:
        begin = positions[key] - 1
        following = [s - 1 for s in starts if s - 1 > begin]
        return begin, following[0] if following else end_of_front

    replacements: dict[str, list[str]] = {}
    for key in META_TEXT_KEYS:
        if f"{META}/{key}" in values:
            replacements[key] = _dump(key, values[f"{META}/{key}"])
    objectives = list(data.get("objectives") or [])
    touched = False
    for n in range(1, len(objectives) + 1):
        if f"{META}/objectives[{n}]" in values:
            objectives[n - 1] = values[f"{META}/objectives[{n}]"]
            touched = True
    if touched:
        replacements["objectives"] = _dump("objectives", objectives)
    for key in sorted(replacements, key=lambda k: positions[k], reverse=True):
        begin, end = span(key)
        # Keep blank and comment lines that stood after the value.
        while end - 1 > begin and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
            end -= 1
        lines[begin:end] = replacements[key]
    return lines
