"""Parse one module file (front matter, sections, role blocks) into immutable objects.

Pure text processing: no rendering, no Flask. Every problem carries the file
line it was found on, so authors can jump straight to it.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .problems import ContentError, Problem
from .yamlfile import load_yaml_with_lines

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COMPETENCY_ID_RE = re.compile(r"^[A-Z][0-9]+$")

BLOCK_TYPES = ("trainer", "activity", "reflection", "keypoints", "handout", "note")
# Attributes each block type requires; ids of these blocks are stable keys.
REQUIRED_ATTRS: Mapping[str, tuple[str, ...]] = {
    "activity": ("duration",),
    "reflection": ("id",),
    "handout": ("id", "title"),
}
KNOWN_ATTRS: Mapping[str, frozenset[str]] = {
    "trainer": frozenset({"title"}),
    "activity": frozenset({"title", "duration", "id"}),
    "reflection": frozenset({"id", "title"}),
    "keypoints": frozenset({"title"}),
    "handout": frozenset({"id", "title"}),
    "note": frozenset({"title"}),
}

_HEADING2_RE = re.compile(r"^##(?!#)\s*(.*?)\s*$")
_HEADING1_RE = re.compile(r"^#(?!#)\s")
_HEADING_ID_RE = re.compile(r"^(.*?)\s*\{\s*#([^}\s]*)\s*\}$")
_FENCE_RE = re.compile(r"^(`{3,}|~{3,})")
_FENCE_LEADS = ("`", "~")
_DIV_RE = re.compile(r"^\s{0,3}(:{3,})\s*(.*?)\s*$")
_LINK_RE = re.compile(r"(!?)\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)")
_REFDEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")


def revision_of(data: bytes) -> str:
    """A short, stable revision of a file's content (not of its name or mtime)."""
    return hashlib.sha256(data).hexdigest()[:12]


@dataclass(frozen=True)
class Link:
    target: str
    line: int
    image: bool


@dataclass(frozen=True)
class Text:
    """A run of Markdown between blocks."""

    source: str
    line: int

    def links(self) -> Iterator[Link]:
        # Every link has "](" and every reference definition "]:": most lines and texts have neither.
        if "](" not in self.source and "]:" not in self.source:
            return
        for offset, raw in enumerate(self.source.split("\n")):
            if "](" in raw:
                for match in _LINK_RE.finditer(raw):
                    yield Link(match.group(2), self.line + offset, bool(match.group(1)))
            ref = _REFDEF_RE.match(raw) if "]:" in raw else None
            if ref:
                yield Link(ref.group(1), self.line + offset, False)


@dataclass(frozen=True)
class Block:
    """A block with a role: ``::: type key=value`` … ``:::``."""

    type: str
    attrs: Mapping[str, str]
    children: tuple[Node, ...]
    line: int

    @property
    def title(self) -> str:
        return self.attrs.get("title", "")

    @property
    def duration(self) -> int | None:
        value = self.attrs.get("duration", "")
        return int(value) if value.isdigit() else None

    def walk(self) -> Iterator[Block]:
        yield self
        for child in self.children:
            if isinstance(child, Block):
                yield from child.walk()

    def plain_text(self) -> str:
        return "\n".join(c.source if isinstance(c, Text) else c.plain_text() for c in self.children)


Node = Text | Block


def _walk(nodes: tuple[Node, ...]) -> Iterator[Block]:
    for node in nodes:
        if isinstance(node, Block):
            yield from node.walk()


def _texts(nodes: tuple[Node, ...]) -> Iterator[Text]:
    for node in nodes:
        if isinstance(node, Text):
            yield node
        else:
            yield from _texts(node.children)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    line: int
    nodes: tuple[Node, ...]

    def blocks(self) -> Iterator[Block]:
        return _walk(self.nodes)

    def links(self) -> Iterator[Link]:
        for text in _texts(self.nodes):
            yield from text.links()

    def fingerprint(self) -> str:
        """A hash of what the section says (not where it stands in the file)."""
        parts = [self.id, self.title]

        def walk(nodes: tuple[Node, ...]) -> None:
            for node in nodes:
                if isinstance(node, Text):
                    parts.append(node.source.strip())
                else:
                    parts.append(f"[{node.type} {sorted(node.attrs.items())}]")
                    walk(node.children)
                    parts.append("[/]")

        walk(self.nodes)
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class ModuleMeta:
    title: str = ""
    summary: str = ""
    duration: int | None = None
    objectives: tuple[str, ...] = ()
    competencies: tuple[str, ...] = ()
    safety_critical: tuple[str, ...] = ()
    source_revision: str | None = None
    add_after: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ModuleDoc:
    """One parsed module file in one language."""

    slug: str
    lang: str
    path: str
    revision: str
    meta: ModuleMeta
    meta_lines: Mapping[str, int]
    intro: tuple[Node, ...]
    sections: tuple[Section, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not any(p.level == "error" for p in self.problems)

    @property
    def section_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sections)

    def section_ids_differ(self, other: ModuleDoc) -> bool:
        return self.section_ids != other.section_ids

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def blocks(self) -> Iterator[Block]:
        yield from _walk(self.intro)
        for section in self.sections:
            yield from section.blocks()

    def links(self) -> Iterator[Link]:
        for text in _texts(self.intro):
            yield from text.links()
        for section in self.sections:
            yield from section.links()


def split_front_matter(text: str, path: str) -> tuple[str, int, str, int]:
    """Return (yaml, yaml_first_line, body, body_first_line); front matter is required."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentError([Problem(path, 1, "error", "missing front matter: the file must start with a line '---'")])
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]), 2, "\n".join(lines[index + 1 :]), index + 2
    raise ContentError([Problem(path, 1, "error", "front matter is not closed: add a line '---' after it")])


# A shell-like word of plain characters and quoted runs ('...' or "..." without backslashes).
_WORD_RE = re.compile(r"""(?:[^\s"'\\]+|"[^"\\]*"|'[^']*')+""")
_QUOTED_RE = re.compile(r""""([^"]*)"|'([^']*)'""")
_SHLEX_SPACE = " \t\r\n"


def _split_attrs(raw: str) -> list[str]:
    """``shlex.split(raw)``, without shlex's per-character loop for the common, simple cases."""
    words: list[str] = []
    end = 0
    for match in _WORD_RE.finditer(raw):
        if raw[end : match.start()].strip(_SHLEX_SPACE):  # an unmatched quote, a backslash, odd spacing
            return shlex.split(raw, posix=True)
        words.append(_QUOTED_RE.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), match.group()))
        end = match.end()
    if raw[end:].strip(_SHLEX_SPACE):
        return shlex.split(raw, posix=True)
    return words


class _Parser:
    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, line: int, message: str, level: str = "error") -> None:
        self.problems.append(Problem(self.path, line, level, message))  # type: ignore[arg-type]

    def parse_attrs(self, raw: str, line: int) -> tuple[str, dict[str, str]]:
        try:
            tokens = _split_attrs(raw)
        except ValueError as exc:
            self.problem(line, f"block attributes cannot be read ({exc}): {raw!r}")
            tokens = raw.split()
        if not tokens:
            return "", {}
        block_type, attrs = tokens[0], {}
        for token in tokens[1:]:
            key, sep, value = token.partition("=")
            if not sep or not key:
                self.problem(line, f"block attribute {token!r} must be key=value")
                continue
            attrs[key] = value
        return block_type, attrs

    def check_block(self, block_type: str, attrs: dict[str, str], line: int) -> None:
        if block_type not in BLOCK_TYPES:
            self.problem(line, f"unknown block type {block_type!r} (known: {', '.join(BLOCK_TYPES)})")
            return
        for name in REQUIRED_ATTRS.get(block_type, ()):
            if not attrs.get(name):
                self.problem(line, f"{block_type} block needs {name}=…")
        for name in attrs:
            if name not in KNOWN_ATTRS[block_type]:
                self.problem(line, f"unknown attribute {name!r} on {block_type} block")
        if "duration" in attrs and not attrs["duration"].isdigit():
            self.problem(line, f"duration must be whole minutes, not {attrs['duration']!r}")
        if "id" in attrs and not ID_RE.match(attrs["id"]):
            self.problem(line, f"block id {attrs['id']!r} must be lower-case letters, digits and hyphens")

    def parse_nodes(self, lines: list[str], first_line: int) -> tuple[Node, ...]:
        """Turn body lines into Text and (nested) Block nodes."""
        root: list[Node] = []
        stack: list[tuple[str, dict[str, str], list[Node], int]] = []
        buffer: list[str] = []
        buffer_line = first_line
        fence: str | None = None

        def flush(upto_line: int) -> None:
            nonlocal buffer, buffer_line
            if any(s.strip() for s in buffer):
                target = stack[-1][2] if stack else root
                target.append(Text("\n".join(buffer), buffer_line))
            buffer = []
            buffer_line = upto_line + 1

        for offset, raw in enumerate(lines):
            number = first_line + offset
            # Only lines starting with ` ~ or : can be fences or blocks: skip the regexes for the rest.
            lead = raw.lstrip()[:1]
            fence_match = _FENCE_RE.match(raw.lstrip()) if lead in _FENCE_LEADS else None
            if fence is not None:
                if fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence):
                    fence = None
                buffer.append(raw)
                continue
            if fence_match:
                fence = fence_match.group(1)
                buffer.append(raw)
                continue
            div = _DIV_RE.match(raw) if lead == ":" else None
            if div is None:
                if not buffer:
                    buffer_line = number
                buffer.append(raw)
                continue
            flush(number)
            rest = div.group(2)
            if rest:
                block_type, attrs = self.parse_attrs(rest, number)
                self.check_block(block_type, attrs, number)
                stack.append((block_type, attrs, [], number))
            elif stack:
                block_type, attrs, children, line = stack.pop()
                block = Block(block_type, MappingProxyType(attrs), tuple(children), line)
                (stack[-1][2] if stack else root).append(block)
            else:
                self.problem(number, "closing ':::' without an opening block")
        flush(first_line + len(lines))
        while stack:
            block_type, attrs, children, line = stack.pop()
            self.problem(line, f"{block_type or 'block'} block is not closed: add a line ':::' after it")
            block = Block(block_type, MappingProxyType(attrs), tuple(children), line)
            (stack[-1][2] if stack else root).append(block)
        if fence is not None:
            self.problem(first_line + len(lines) - 1, "code fence is not closed")
        return tuple(root)


def _str_list(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v) for v in value)
    return None


def _parse_meta(data: Any, lines: Mapping[str, int], parser: _Parser) -> ModuleMeta:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        parser.problem(2, "front matter must be a YAML mapping of fields")
        return ModuleMeta()
    known = {
        "title",
        "summary",
        "duration",
        "objectives",
        "competencies",
        "safety_critical",
        "source_revision",
        "add_after",
    }
    for key in data:
        if key not in known:
            parser.problem(lines.get(str(key), 2), f"unknown front matter field {key!r}", "warning")

    def text(key: str) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, (str, int, float)):
            parser.problem(lines.get(key, 2), f"{key} must be text")
            return ""
        return str(value).strip()

    def listing(key: str) -> tuple[str, ...]:
        value = _str_list(data.get(key))
        if value is None:
            parser.problem(lines.get(key, 2), f"{key} must be a list")
            return ()
        return value

    duration = data.get("duration")
    if duration is not None and (not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0):
        parser.problem(lines.get("duration", 2), f"duration must be a whole number of minutes, not {duration!r}")
        duration = None
    add_after = data.get("add_after") or {}
    if not isinstance(add_after, dict):
        parser.problem(lines.get("add_after", 2), "add_after must map new section ids to existing ones")
        add_after = {}
    revision = data.get("source_revision")
    return ModuleMeta(
        title=text("title"),
        summary=text("summary"),
        duration=duration,
        objectives=listing("objectives"),
        competencies=listing("competencies"),
        safety_critical=listing("safety_critical"),
        source_revision=str(revision) if revision is not None else None,
        add_after=MappingProxyType({str(k): str(v) for k, v in add_after.items()}),
    )


def parse_module(data: bytes, *, slug: str, lang: str, path: str) -> ModuleDoc:
    """Parse a module file. Raises ContentError only when nothing usable can be read."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError([Problem(path, line, "error", "file is not valid UTF-8")]) from None
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    front, front_line, body, body_line = split_front_matter(text, path)
    parser = _Parser(path)
    front_data, lines_of_keys = load_yaml_with_lines(front, path, front_line)
    meta = _parse_meta(front_data, lines_of_keys, parser)

    body_lines = body.split("\n")
    chunks: list[tuple[str | None, str, int, int]] = []  # (id, title, heading line, first body line)
    starts: list[int] = []
    fence: str | None = None
    for index, raw in enumerate(body_lines):
        fence_match = _FENCE_RE.match(raw.lstrip()) if raw.lstrip()[:1] in _FENCE_LEADS else None
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0]:
                fence = None
            continue
        if fence_match:
            fence = fence_match.group(1)
            continue
        if not raw.startswith("#"):  # headings only
            continue
        number = body_line + index
        if _HEADING1_RE.match(raw):
            parser.problem(
                number,
                "level-1 heading: the module title comes from the front matter; use '##' for sections",
                "warning",
            )
        heading = _HEADING2_RE.match(raw)
        if heading:
            id_match = _HEADING_ID_RE.match(heading.group(1))
            if id_match is None:
                parser.problem(number, f"section heading has no id: write '## {heading.group(1)} {{#some-id}}'")
                title, section_id = heading.group(1), None
            else:
                title, section_id = id_match.group(1), id_match.group(2)
                if not ID_RE.match(section_id):
                    parser.problem(number, f"section id {section_id!r} must be lower-case letters, digits and hyphens")
            chunks.append((section_id, title, number, number + 1))
            starts.append(index)
    intro_end = starts[0] if starts else len(body_lines)
    intro = parser.parse_nodes(body_lines[:intro_end], body_line)
    sections: list[Section] = []
    seen: dict[str, int] = {}
    for n, (section_id, title, line, first) in enumerate(chunks):
        end = starts[n + 1] if n + 1 < len(starts) else len(body_lines)
        nodes = parser.parse_nodes(body_lines[starts[n] + 1 : end], first)
        if section_id is None:
            continue
        if section_id in seen:
            parser.problem(line, f"duplicate section id {section_id!r} (first at line {seen[section_id]})")
            continue
        seen[section_id] = line
        sections.append(Section(section_id, title, line, nodes))

    block_ids: dict[str, int] = {}
    for block in _walk(intro + tuple(n for s in sections for n in s.nodes)):
        block_id = block.attrs.get("id")
        if block_id and block.type in ("reflection", "handout", "activity"):
            key = f"{block.type}:{block_id}"
            if key in block_ids:
                parser.problem(block.line, f"duplicate {block.type} id {block_id!r} (first at line {block_ids[key]})")
            block_ids.setdefault(key, block.line)

    return ModuleDoc(
        slug=slug,
        lang=lang,
        path=path,
        revision=revision_of(data),
        meta=meta,
        meta_lines=MappingProxyType(lines_of_keys),
        intro=intro,
        sections=tuple(sections),
        problems=tuple(parser.problems),
    )
