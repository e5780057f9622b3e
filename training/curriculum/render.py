"""Markdown to safe HTML for one audience and one medium (web page or print).

Python-Markdown passes raw HTML, scripts and ``javascript:`` links through, so
everything it produces goes through nh3 with an allowlist before anyone sees
it. Links between modules are written ``module:slug#section`` by authors and
rewritten here for the medium: relative URLs on the web, in-document anchors
in a printed manual.
"""

from __future__ import annotations

import html
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import markdown
import nh3
from markdown.treeprocessors import Treeprocessor

from .document import Block, Node, Section, Text

Audience = Literal["trainee", "trainer"]
Style = Literal["web", "print"]
AUDIENCES: tuple[Audience, ...] = ("trainee", "trainer")

# Blocks each audience sees; trainer notes never reach trainees, not even hidden.
HIDDEN_BLOCKS: Mapping[str, frozenset[str]] = {
    "trainee": frozenset({"trainer"}),
    "trainer": frozenset(),
}

_TAGS = (nh3.ALLOWED_TAGS - {"map", "area", "center", "acronym", "tt", "strike"}) | {"section"}
_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"id", "class", "dir", "lang", "title", "role", "aria-label"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "abbr": {"title"},
}
_SCHEMES = {"web": {"http", "https", "mailto"}, "print": {"http", "https", "mailto", "file"}}
_EXTENSIONS = ["tables", "attr_list", "def_list", "fenced_code", "sane_lists"]
_SAFE_ASSET_RE = re.compile(r"^images/[A-Za-z0-9._/-]+$")


def anchor(slug: str, section_id: str | None = None) -> str:
    """The in-document anchor of a module or section in a printed manual."""
    return f"m-{slug}--{section_id}" if section_id else f"m-{slug}"


@dataclass(frozen=True)
class LinkContext:
    """Where the text being rendered lives, so relative links can be resolved."""

    slug: str
    asset_dir: Path
    style: Style

    def href(self, target: str) -> str | None:
        if target.startswith(("http://", "https://", "mailto:")):
            return target
        if target.startswith("module:"):
            slug, _, section = target[len("module:") :].partition("#")
            if self.style == "print":
                return "#" + anchor(slug, section or None)
            return f"../{slug}/" + (f"#{section}" if section else "")
        if target.startswith("#"):
            return "#" + anchor(self.slug, target[1:]) if self.style == "print" else target
        return None

    def src(self, target: str) -> str | None:
        if not _SAFE_ASSET_RE.match(target) or ".." in target.split("/"):
            return None
        if self.style == "print":
            return (self.asset_dir / target).resolve().as_uri()
        return target


class _Links(Treeprocessor):
    """Rewrite hrefs and image sources; unknown targets lose their link."""

    context: LinkContext | None = None

    def run(self, root: ET.Element) -> None:
        context = self.context
        assert context is not None
        for element in root.iter():
            if element.tag == "a" and "href" in element.attrib:
                href = context.href(element.attrib["href"])
                if href is None:
                    del element.attrib["href"]
                else:
                    element.attrib["href"] = href
            elif element.tag == "img":
                src = context.src(element.attrib.get("src", ""))
                if src is None:
                    element.attrib.pop("src", None)
                else:
                    element.attrib["src"] = src
            if context.style == "print" and "id" in element.attrib:
                element.attrib["id"] = anchor(context.slug, element.attrib["id"])


_local = threading.local()


def _markdown() -> tuple[markdown.Markdown, _Links]:
    # Markdown instances are not thread-safe; keep one per thread.
    if not hasattr(_local, "md"):
        md = markdown.Markdown(extensions=_EXTENSIONS, output_format="html")
        links = _Links(md)
        md.treeprocessors.register(links, "peerpath-links", 1)
        _local.md, _local.links = md, links
    return _local.md, _local.links


def sanitise(fragment: str, style: Style = "web") -> str:
    """Allowlist sanitising: no script, handler, frame, style or foreign scheme survives."""
    return nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES[style],
        generic_attribute_prefixes={"data-"},
        strip_comments=True,
    )


# A star between two letters is German gender-inclusive spelling ("Trainer*innen"),
# never emphasis: escape it so two of them in a paragraph do not turn text italic.
_GENDER_STAR_RE = re.compile(r"(?<=[^\W\d_])\*(?=[^\W\d_])")


def markdown_to_html(source: str, context: LinkContext) -> str:
    md, links = _markdown()
    links.context = context
    try:
        return md.reset().convert(_GENDER_STAR_RE.sub(r"\\*", source))
    finally:
        links.context = None


def inline_html(source: str, context: LinkContext) -> str:
    """Render a one-line title; the surrounding paragraph is dropped."""
    rendered = markdown_to_html(source, context).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>"):
        rendered = rendered[3:-4]
    return sanitise(rendered, context.style)


Labels = Mapping[str, str]
DEFAULT_LABELS: Labels = {
    "trainer": "Trainer notes",
    "activity": "Activity",
    "reflection": "Reflection",
    "keypoints": "Key points",
    "handout": "Handout",
    "note": "Note",
    "minutes": "{n} min",
}


def _block_html(block: Block, audience: Audience, labels: Labels, context: LinkContext) -> str:
    inner = render_nodes(block.children, audience, labels, context)
    kind = html.escape(labels.get(block.type, block.type))
    head = [f'<span class="block-kind">{kind}</span>']
    if block.title:
        head.append(f'<span class="block-title">{inline_html(block.title, context)}</span>')
    if block.duration:
        minutes = labels.get("minutes", "{n} min").replace("{n}", str(block.duration))
        head.append(f'<span class="block-duration">{html.escape(minutes)}</span>')
    attrs = [f'class="block block-{html.escape(block.type)}"', f'data-block="{html.escape(block.type)}"']
    if block.duration:
        attrs.append(f'data-duration="{block.duration}"')
    if "id" in block.attrs:
        block_id = f"{block.type}-{block.attrs['id']}"
        attrs.append(f'id="{html.escape(anchor(context.slug, block_id) if context.style == "print" else block_id)}"')
    tag = "aside" if block.type in ("trainer", "note") else "div"
    return f'<{tag} {" ".join(attrs)}><p class="block-label">{" ".join(head)}</p>{inner}</{tag}>'


def render_nodes(nodes: tuple[Node, ...], audience: Audience, labels: Labels, context: LinkContext) -> str:
    parts = []
    for node in nodes:
        if isinstance(node, Text):
            parts.append(markdown_to_html(node.source, context))
        elif node.type not in HIDDEN_BLOCKS[audience]:
            parts.append(_block_html(node, audience, labels, context))
    return "\n".join(parts)


@dataclass(frozen=True)
class RenderedSection:
    id: str
    title_html: str
    html: str
    reflections: tuple[tuple[str, str], ...]  # (reflection id, prompt as plain text)


def render_section(section: Section, audience: Audience, labels: Labels, context: LinkContext) -> RenderedSection:
    body = sanitise(render_nodes(section.nodes, audience, labels, context), context.style)
    reflections = tuple(
        (b.attrs["id"], b.plain_text().strip())
        for b in section.blocks()
        if b.type == "reflection" and b.attrs.get("id")
    )
    return RenderedSection(section.id, inline_html(section.title, context), body, reflections)


def render_intro(nodes: tuple[Node, ...], audience: Audience, labels: Labels, context: LinkContext) -> str:
    return sanitise(render_nodes(nodes, audience, labels, context), context.style)


LabelSource = Callable[[str], Labels]
