"""The print HTML of a manual, built from the same cached module HTML the web shows.

Pure: a curriculum store, the options and the labels in, one HTML string out.
No app context, no database, no WeasyPrint, so it is quick to test and runs
the same in a request, a worker or the CLI. The layout itself (pages, running header, "page X of Y", table of
contents page numbers, bookmarks) is CSS in ``print.css`` and the
``<style>`` block of ``templates/print/manual.html``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..config import PROJECT_ROOT
from ..curriculum import CurriculumStore, ModuleView, Site, anchor, direction, name_in, native_name
from ..curriculum.competencies import Competency
from ..i18n import format_date, format_minutes
from ..printing import BASE_STYLESHEET, css_string  # BASE_STYLESHEET: fonts and breaks every PDF shares
from . import fragments
from .labels import PrintLabels
from .options import ManualOptions

TEMPLATE_DIR = PROJECT_ROOT / "templates" / "print"
STYLESHEET = PROJECT_ROOT / "training" / "static" / "css" / "print.css"
# Bump when this module changes what it writes; template and stylesheet edits are hashed anyway.
DOCUMENT_VERSION = "1"
PAPER_SIZES = {"a4": "A4", "letter": "letter"}
WRITING_LINES = 7

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def trusted(html: str) -> Markup:
    """Mark text as safe for the template: the engine's nh3-sanitised HTML, or CSS this module escaped."""
    return Markup(html)  # noqa: S704 - only ever given sanitised or escaped text (see callers)


def css_content(template: str, values: Mapping[str, str]) -> Markup:
    """Turn a translated 'Page %(page)s of %(pages)s' into CSS ``content``: strings and counters in the translator's order."""
    parts, last = [], 0
    for match in re.finditer(r"%\((\w+)\)s", template):
        if match.start() > last:
            parts.append(css_string(template[last : match.start()]))
        parts.append(values[match.group(1)])
        last = match.end()
    if last < len(template):
        parts.append(css_string(template[last:]))
    return trusted(" ".join(parts) or '""')


_env.filters["css_string"] = lambda text: trusted(css_string(str(text)))

# Unicode directional isolates: WeasyPrint has no CSS unicode-bidi, but Pango's bidi honours these.
_ISOLATES = {"ltr": "\u2066", "rtl": "\u2067", "auto": "\u2068"}
_PDI = "\u2069"


def isolated(text: str, text_dir: str = "auto", base_dir: str | None = None) -> str:
    """Text of another direction (or unknown: ``auto``) kept in one piece inside a line: a title, a site name."""
    if base_dir is not None and text_dir == base_dir:
        return text
    return f"{_ISOLATES[text_dir]}{text}{_PDI}"


def isolate(text: str, text_dir: str = "auto", base_dir: str | None = None) -> Markup:
    """``isolated`` for templates: escapes text, keeps Markup (a rendered title) as it is."""
    if base_dir is not None and text_dir == base_dir:
        return Markup.escape(text)
    return Markup.escape(_ISOLATES[text_dir]) + Markup.escape(text) + Markup.escape(_PDI)


_env.globals["isolate"] = isolate


@dataclass(frozen=True)
class PrintSection:
    anchor: str
    title_html: Markup
    html: Markup
    local: bool  # added or replaced by the site
    lang: str  # a site's section may be in another language than the module around it
    dir: str


@dataclass(frozen=True)
class PlanRow:
    section_anchor: str
    section_title_html: Markup
    activity_html: Markup
    minutes: int
    running: int
    lang: str
    dir: str


@dataclass(frozen=True)
class SessionPlan:
    rows: tuple[PlanRow, ...]
    total: int
    summary: str


@dataclass(frozen=True)
class PrintModule:
    view: ModuleView
    number: int
    anchor: str
    lang: str
    dir: str
    notice: str | None
    intro_html: Markup
    sections: tuple[PrintSection, ...]
    plan: SessionPlan | None
    handouts: tuple[Markup, ...]
    competencies: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ManualDocument:
    html: str
    title: str
    lang: str
    pages_estimate: int


def writing_lines(labels: PrintLabels) -> str:
    lines = '<span class="write-line"></span>' * WRITING_LINES
    return (
        f'<div class="write-space"><span class="write-label">{Markup.escape(labels["your_notes"])}</span>{lines}</div>'
    )


def session_plan(module_sections: tuple[PrintSection, ...], view: ModuleView, labels: PrintLabels) -> SessionPlan:
    """Activities in teaching order with their minutes, from the rendered blocks' ``data-duration``."""
    rows, running = [], 0
    for section in module_sections:
        html = str(section.html)
        for element in fragments.find_elements(html, "block-activity"):
            minutes = int(element.attrs.get("data-duration") or 0)
            if not minutes:
                continue
            inner = element.inner(html)
            titles = fragments.find_elements(inner, "block-title")
            kinds = fragments.find_elements(inner, "block-kind")
            title = titles[0].inner(inner) if titles else kinds[0].inner(inner) if kinds else ""
            running += minutes
            rows.append(
                PlanRow(section.anchor, section.title_html, trusted(title), minutes, running, section.lang, section.dir)
            )
    workshop = view.duration
    if not rows:
        summary = labels["plan_empty"]
    elif workshop and running <= workshop:
        summary = labels["plan_summary"] % {
            "activities": format_minutes(running, labels.lang),
            "workshop": format_minutes(workshop, labels.lang),
            "rest": format_minutes(workshop - running, labels.lang),
        }
    elif workshop:
        summary = labels["plan_over"] % {
            "activities": format_minutes(running, labels.lang),
            "workshop": format_minutes(workshop, labels.lang),
        }
    else:
        summary = ""
    return SessionPlan(tuple(rows), running, summary)


def _notice(view: ModuleView, labels: PrintLabels) -> str | None:
    if view.fallback:
        # Named in the reader's language, as on the web: "shown in English" / "מוצג באנגלית".
        return labels["fallback"] % {"language": name_in(view.content_lang, view.lang)}
    if view.outdated:
        return labels["outdated"]
    return None


def print_module(
    store: CurriculumStore, view: ModuleView, options: ManualOptions, labels: PrintLabels, framework
) -> PrintModule:
    rendered = store.render(view, options.audience, "print", labels.block_labels)
    extra = writing_lines(labels) if options.kind == "workbook" else ""
    sections, handouts = [], []
    for placed, section in zip(view.sections, rendered.sections, strict=True):
        html = section.html
        handouts += [trusted(e.outer(html)) for e in fragments.find_elements(html, "block-handout")]
        if extra:
            html = fragments.append_inside(html, "block-reflection", extra)
        sections.append(
            PrintSection(
                anchor(view.slug, section.id),
                trusted(section.title_html),
                trusted(html),
                placed.from_site,
                placed.doc.lang,
                direction(placed.doc.lang),
            )
        )
    sections_t = tuple(sections)
    competencies = tuple((c, comp.title if (comp := framework.get(c)) else "") for c in view.competencies)
    return PrintModule(
        view=view,
        number=view.position + 1,
        anchor=anchor(view.slug),
        lang=view.content_lang,
        dir=direction(view.content_lang),
        notice=_notice(view, labels),
        intro_html=trusted(rendered.intro_html),
        sections=sections_t,
        plan=session_plan(sections_t, view, labels) if options.kind == "manual" else None,
        handouts=tuple(handouts),
        competencies=competencies,
    )


def chosen_views(store: CurriculumStore, options: ManualOptions, site: Site | None) -> list[ModuleView]:
    views = store.modules(options.lang, site)
    return [v for v in views if v.slug in options.modules] if options.modules else views


def kits_for(modules: list[PrintModule], framework) -> list[Competency]:
    wanted = {c for m in modules for c, _ in m.competencies}
    return [c for c in framework.competencies if c.id in wanted and (c.scenarios or c.checklist)]


def build_html(
    store: CurriculumStore,
    options: ManualOptions,
    labels: PrintLabels,
    *,
    today: date,
    revision: str = "",
    stylesheet: Path = STYLESHEET,
) -> ManualDocument:
    """The complete print HTML for ``options``; ``revision`` names its inputs (cover and footers)."""
    site = store.site(options.site)
    meta = store.meta()
    framework = store.framework(options.lang)
    modules = [print_module(store, v, options, labels, framework) for v in chosen_views(store, options, site)]
    curriculum_title = meta.title(options.lang)
    kind_label = labels[options.kind]
    site_name = site.name_in(options.lang) if site else ""
    title = " — ".join([curriculum_title, kind_label, *([site_name] if site else [])])
    if options.kind == "handouts" and len(modules) == 1:
        title = " — ".join([modules[0].view.title, kind_label, *([site_name] if site else [])])
    page_style = labels.counter_style
    # Cover and every footer name the revision and the build date, so a photocopy can be matched to its release.
    release = [isolated(labels["revision"] % {"revision": isolated(revision, "ltr")})] if revision else []
    build_date = format_date(today, "medium", locale=options.lang)
    context = {
        "options": options,
        "labels": labels,
        "lang": options.lang,
        "dir": direction(options.lang),
        "title": title,
        "curriculum_title": curriculum_title,
        "kind_label": kind_label,
        "audience_label": labels[f"audience_{options.audience}"],
        "site": site,
        "site_name": site_name,
        "language_name": native_name(options.lang),
        "printed_on": labels["printed_on"] % {"date": format_date(today, "long", locale=options.lang)},
        "release": release[0] if release else "",
        "today": today.isoformat(),
        "modules": modules,
        "kits": kits_for(modules, framework) if options.kind == "manual" else [],
        "stylesheet": stylesheet.resolve().as_uri(),
        "base_stylesheet": BASE_STYLESHEET.resolve().as_uri(),
        "paper_size": PAPER_SIZES[options.paper],
        "page_of": css_content(
            labels["page_of"], {"page": f"counter(page, {page_style})", "pages": f"counter(pages, {page_style})"}
        ),
        "page_ref": css_content(labels["page_ref"], {"page": f"target-counter(attr(href), page, {page_style})"}),
        "toc_page": trusted(f"target-counter(attr(href), page, {page_style})"),
        "footer_note": " · ".join(
            [
                kind_label,
                *([isolated(site_name)] if site else []),
                isolated(native_name(options.lang)),
                *release,
                isolated(build_date),
            ]
        ),
        "format_minutes": lambda minutes: format_minutes(minutes, options.lang),
        "direction": direction,
    }
    template = "handouts.html" if options.kind == "handouts" else "manual.html"
    html = fragments.drop_dead_links(_env.get_template(template).render(context))
    return ManualDocument(html, title, options.lang, pages_estimate=estimate_pages(html, options))


_TAG_RE = re.compile(r"<[^>]+>")


def estimate_pages(html: str, options: ManualOptions) -> int:
    """A rough page count for the progress bar: ~2,300 characters of text a page, page breaks, writing space."""
    text = len(_TAG_RE.sub("", html))
    breaks = html.count('class="module"') + html.count("block-handout") + 2
    writing = html.count('class="write-space"') // 4  # seven ruled lines are about a quarter page
    return max(1, text // 2300 + breaks + writing)
