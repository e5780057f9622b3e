"""Reading pages in tests as a person sees them: elements, their text, lists to compare.

Order and content checks go through this small parser instead of string positions
(``html.index``), so a check names the element it means and fails with both lists shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The element's text with runs of white space made single, as a reader sees it."""
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return " ".join("".join(parts).split())

    def iter(self):
        """This element and every element inside it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        """Elements with this tag whose attributes hold these values (``class_`` matches one class)."""
        found = []
        for el in self.iter():
            if el.tag != tag:
                continue
            wanted_class = attrs.get("class_")
            if wanted_class is not None and wanted_class not in el.attrs.get("class", "").split():
                continue
            if all(el.attrs.get(k) == v for k, v in attrs.items() if k != "class_"):
                found.append(el)
        return found

    def find(self, tag: str, **attrs: str) -> Element:
        """The one element with this tag and these attributes (fails when there is none or more)."""
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        if tag not in _VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        # Close up to the matching open element; a stray end tag changes nothing.
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Element:
    """The page as a tree of elements."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def texts(html: str, tag: str, **attrs: str) -> list[str]:
    """The text of every matching element, in page order."""
    return [el.text for el in parse(html).find_all(tag, **attrs)]


def field_errors(html: str) -> dict[str, str]:
    """Each form field's error message, by the field's id (``<p class="field-error" id="FIELD-err">``)."""
    return {
        el.attrs["id"].removesuffix("-err"): el.text
        for el in parse(html).find_all("p", class_="field-error")
        if el.attrs.get("id")
    }
