"""Small, exact edits to the engine's sanitised HTML: find role blocks, add after them, drop dead links.

The engine's output has come through nh3, so every element except the void
ones is explicitly closed; a tag stack over ``html.parser`` events is then
enough to find where an element ends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from types import MappingProxyType

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


@dataclass(frozen=True)
class Element:
    """One element in a fragment: ``html[start:end]`` is the whole element, ``html[inner_start:inner_end]`` its content."""

    tag: str
    attrs: Mapping[str, str]
    start: int
    inner_start: int
    inner_end: int
    end: int

    def outer(self, html: str) -> str:
        return html[self.start : self.end]

    def inner(self, html: str) -> str:
        return html[self.inner_start : self.inner_end]


class _Finder(HTMLParser):
    def __init__(self, html: str, css_class: str):
        super().__init__(convert_charrefs=False)
        self.html = html
        self.css_class = css_class
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self.stack: list[tuple[str, dict[str, str], int, int, bool]] = []
        self.found: list[Element] = []

    def position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        start = self.position()
        text = self.get_starttag_text() or ""
        values = {k: v or "" for k, v in attrs}
        match = self.css_class in values.get("class", "").split()
        self.stack.append((tag, values, start, start + len(text), match))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        start = self.position()
        end = self.html.index(">", start) + 1
        while self.stack:
            open_tag, attrs, outer_start, inner_start, match = self.stack.pop()
            if match:
                self.found.append(Element(open_tag, MappingProxyType(attrs), outer_start, inner_start, start, end))
            if open_tag == tag:
                break


def find_elements(html: str, css_class: str) -> list[Element]:
    """Elements carrying ``css_class``, in document order (nested ones too)."""
    finder = _Finder(html, css_class)
    finder.feed(html)
    finder.close()
    return sorted(finder.found, key=lambda e: e.start)


def append_inside(html: str, css_class: str, addition: str) -> str:
    """Add ``addition`` at the end of every element with ``css_class`` (inside it, so it stays with the block)."""
    out, last = [], 0
    for element in find_elements(html, css_class):
        out += [html[last : element.inner_end], addition]
        last = element.inner_end
    out.append(html[last:])
    return "".join(out)


_ID_RE = re.compile(r'\sid="([^"]+)"')
_LOCAL_HREF_RE = re.compile(r'(<a\b[^>]*?)\s+href="#([^"]*)"')


def drop_dead_links(html: str) -> str:
    """Links to anchors that are not in this document (a module left out of it) become plain text."""
    ids = set(_ID_RE.findall(html))

    def keep_or_drop(match: re.Match) -> str:
        return match.group(0) if match.group(2) in ids else match.group(1)

    return _LOCAL_HREF_RE.sub(keep_or_drop, html)
