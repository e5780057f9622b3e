"""A curriculum bundle: the modules as a static site in a zip that opens from ``file://`` with no server.

Pure: a curriculum store, the options, the labels and a date in; files and a
zip out. No app context, no database, so the CLI, a build job and the tests
share it. Pages use the same cached, sanitised module HTML the web shows
(``web`` style), with links rewritten to files of the bundle:

    index.html                  languages of the bundle, revision, build date
    <lang>/index.html           start page: modules, framework, language switcher
    <lang>/<module>.html        a module with its sections, role blocks, handouts
    <lang>/competencies.html    the competency framework (trainers: with kits)
    assets/site.css             the web stylesheet and a few lines for the bundle
    images/<folder>/...         each image once, whatever the number of languages

Every link is relative and no page has a script, so a phone's file manager
or a double click on ``index.html`` opens it, and no request leaves the device.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..config import PROJECT_ROOT
from ..curriculum import Audience, CurriculumStore, ModuleView, direction, native_name
from ..i18n import format_minutes
from ..manuals.cache import file_hash, folder_hash
from ..manuals.document import isolate, session_plan, trusted
from ..manuals.options import KIND_FOR_AUDIENCE, OptionsError, resolve
from .labels import BundleLabels

TEMPLATE_DIR = PROJECT_ROOT / "templates" / "offline"
SITE_CSS = PROJECT_ROOT / "training" / "static" / "css" / "site.css"
# Bump when this module changes what it writes; template and stylesheet edits are hashed anyway.
BUNDLE_VERSION = "1"
AUDIENCES: tuple[Audience, ...] = ("trainee", "trainer")

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["isolate"] = isolate
_env.globals["direction"] = direction
_env.globals["native_name"] = native_name


@dataclass(frozen=True)
class BundleOptions:
    langs: tuple[str, ...]
    audience: Audience
    site: str | None = None
    modules: tuple[str, ...] = ()  # empty: every module, in teaching order

    @property
    def slug(self) -> str:
        """A readable file name stem: peerpath-offline-trainee-he-gu-galil."""
        parts = ["peerpath", "offline", self.audience, "-".join(self.langs), self.site or "", "-".join(self.modules)]
        return "-".join(p for p in parts if p)


def resolve_bundle(
    store: CurriculumStore,
    *,
    langs: list[str] | tuple[str, ...],
    audience: str,
    site: str | None = None,
    modules: list[str] | tuple[str, ...] = (),
) -> BundleOptions:
    """Check the choices against the curriculum (as a manual's are); OptionsError names the wrong one."""
    if audience not in AUDIENCES:
        raise OptionsError("audience", f"unknown audience {audience!r} (known: {', '.join(AUDIENCES)})")
    langs = tuple(dict.fromkeys(code.strip() for code in langs if code.strip()))
    if not langs:
        raise OptionsError("lang", "give at least one language")
    resolved = [
        resolve(store, kind=KIND_FOR_AUDIENCE[audience], lang=lang, site=site, modules=modules)  # type: ignore[index]
        for lang in langs
    ]
    first = resolved[0]
    return BundleOptions(langs=langs, audience=audience, site=first.site, modules=first.modules)  # type: ignore[arg-type]


def chosen_views(store: CurriculumStore, options: BundleOptions, lang: str) -> list[ModuleView]:
    views = store.modules(lang, options.site)
    return [v for v in views if v.slug in options.modules] if options.modules else views


# -- what goes in, hashed ----------------------------------------------------


def content_inputs(store: CurriculumStore, options: BundleOptions) -> dict:
    """The revision of every file the bundle shows: module texts, overlays, sites, framework, images."""
    site = store.site(options.site)
    modules = []
    for lang in options.langs:
        for view in chosen_views(store, options, lang):
            modules.append(
                [
                    lang,
                    view.slug,
                    view.doc.revision,
                    view.source.revision,
                    view.overlay.revision if view.overlay else None,
                ]
            )
    slugs = dict.fromkeys(m[1] for m in modules)
    images = [folder_hash(store.root / "modules" / slug / "images") for slug in slugs]
    if options.site:
        images += [folder_hash(store.root / "sites" / options.site / "modules" / slug / "images") for slug in slugs]
    folder = store.root / "competencies"
    names = ["framework.yaml", f"{store.meta().source_language}.yaml", *(f"{lang}.yaml" for lang in options.langs)]
    return {
        "curriculum": store.meta().revision,
        "site": site.revision if site else None,
        "modules": modules,
        "images": images,
        "competencies": [file_hash(folder / name) for name in dict.fromkeys(names)],
    }


def content_revision(store: CurriculumStore, options: BundleOptions) -> str:
    """Twelve hex digits that change whenever any text or image in the bundle changes."""
    data = json.dumps(content_inputs(store, options), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:12]


def template_version() -> str:
    files = [*sorted(TEMPLATE_DIR.glob("*")), SITE_CSS]
    parts = [BUNDLE_VERSION, *(f"{p.name}:{file_hash(p)}" for p in files)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def bundle_key(store: CurriculumStore, options: BundleOptions, labels: Mapping[str, BundleLabels]) -> str:
    """Everything a bundle is made from: options, content, words and templates (the build date is not)."""
    data = {
        "options": asdict(options),
        "content": content_inputs(store, options),
        "labels": {
            lang: [dict(lab.nav), dict(lab.print.text), {k: dict(v) for k, v in lab.print.blocks.items()}]
            for lang, lab in labels.items()
        },
        "template": template_version(),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# -- pages -------------------------------------------------------------------

_MODULE_LINK_RE = re.compile(r'href="\.\./([A-Za-z0-9_-]+)/(#[^"]*)?"')
_IMG_SRC_RE = re.compile(r'src="(images/[A-Za-z0-9._/-]+)"')


@dataclass
class BundleFiles:
    """Files of the bundle by path inside the zip; images as source paths, read once when zipped."""

    pages: dict[str, str] = field(default_factory=dict)
    assets: dict[str, bytes] = field(default_factory=dict)
    images: dict[str, Path] = field(default_factory=dict)


def _relink(html: str, slugs: set[str], asset_dir: Path, root: Path, files: BundleFiles) -> str:
    """Web-style links to files of the bundle: modules to ``slug.html``, images to the shared folder."""

    def module(match: re.Match) -> str:
        slug, fragment = match.group(1), match.group(2) or ""
        return f'href="{slug}.html{fragment}"' if slug in slugs else ""

    def image(match: re.Match) -> str:
        source = (asset_dir / match.group(1)).resolve()
        # The engine only lets ``images/...`` without ``..`` through; check the folder anyway.
        if not source.is_file() or not source.is_relative_to(root):
            return 'src=""'
        inside = "images/" + source.relative_to(root).as_posix()
        files.images[inside] = source
        return f'src="../{inside}"'

    return _IMG_SRC_RE.sub(image, _MODULE_LINK_RE.sub(module, html))


@dataclass(frozen=True)
class PageSection:
    id: str
    title_html: Markup
    html: Markup
    local: bool
    lang: str
    dir: str


def _module_page(
    store: CurriculumStore,
    options: BundleOptions,
    view: ModuleView,
    views: list[ModuleView],
    labels: BundleLabels,
    files: BundleFiles,
    common: dict,
) -> str:
    rendered = store.render(view, options.audience, "web", labels.print.block_labels(view.content_lang))
    slugs = {v.slug for v in views}
    root = store.root.resolve()
    sections = []
    for placed, section in zip(view.sections, rendered.sections, strict=True):
        asset_dir = (store.root.parent / placed.doc.path).parent
        sections.append(
            PageSection(
                section.id,
                trusted(_relink(section.title_html, slugs, asset_dir, root, files)),
                trusted(_relink(section.html, slugs, asset_dir, root, files)),
                placed.from_site,
                placed.doc.lang,
                direction(placed.doc.lang),
            )
        )
    intro_dir = (store.root.parent / view.doc.path).parent
    plan = None
    if options.audience == "trainer":
        plan = session_plan(
            tuple(_PlanSection(s.id, s.title_html, s.html, s.lang, s.dir) for s in sections), view, labels.print
        )
    index = views.index(view)
    framework = common["framework"]
    notice = None
    if view.fallback:
        notice = labels["fallback"] % {"language": native_name(view.content_lang)}
    elif view.outdated:
        notice = labels["outdated"]
    return _env.get_template("module.html").render(
        common,
        view=view,
        number=index + 1,
        notice=notice,
        intro_html=trusted(_relink(rendered.intro_html, slugs, intro_dir, root, files)),
        sections=sections,
        plan=plan,
        competencies=[(c, comp.title if (comp := framework.get(c)) else "") for c in view.competencies],
        previous=views[index - 1] if index > 0 else None,
        following=views[index + 1] if index + 1 < len(views) else None,
        page=f"{view.slug}.html",
        content_lang=view.content_lang,
    )


@dataclass(frozen=True)
class _PlanSection:
    """What ``session_plan`` reads of a section (it was written for print sections)."""

    anchor: str
    title_html: Markup
    html: Markup
    lang: str
    dir: str


def build_files(
    store: CurriculumStore,
    options: BundleOptions,
    labels: Mapping[str, BundleLabels],
    *,
    today: date,
    revision: str | None = None,
) -> BundleFiles:
    """Every page, stylesheet and image of the bundle."""
    files = BundleFiles()
    site = store.site(options.site)
    meta = store.meta()
    revision = revision or content_revision(store, options)
    built = {lang: format_date(today, "long", locale=lang) for lang in options.langs}
    for lang in options.langs:
        lab = labels[lang]
        views = chosen_views(store, options, lang)
        framework = store.framework(lang)
        common = {
            "lang": lang,
            "dir": direction(lang),
            "labels": lab,
            "options": options,
            "site": site,
            "curriculum_title": meta.title(lang),
            "audience_label": lab[f"audience_{options.audience}"],
            "revision_line": lab["revision"] % {"revision": revision, "date": built[lang]},
            "revision": revision,
            "today": today.isoformat(),
            "langs": options.langs,
            "views": views,
            "framework": framework,
            "trainer": options.audience == "trainer",
            "format_minutes": lambda minutes, lang=lang: format_minutes(minutes, lang),
        }
        files.pages[f"{lang}/index.html"] = _env.get_template("start.html").render(common, page="index.html")
        wanted = {v.slug for v in views}
        competencies = [c for c in framework.competencies if not options.modules or wanted & set(c.modules)]
        files.pages[f"{lang}/competencies.html"] = _env.get_template("framework.html").render(
            common,
            page="competencies.html",
            domains=[(d, [c for c in d.competencies if c in competencies]) for d in framework.domains],
            titles={v.slug: v.title for v in views},
        )
        for view in views:
            files.pages[f"{lang}/{view.slug}.html"] = _module_page(store, options, view, views, lab, files, common)
    first = options.langs[0]
    files.pages["index.html"] = _env.get_template("root.html").render(
        lang=first,
        dir=direction(first),
        langs=options.langs,
        titles={lang: meta.title(lang) for lang in options.langs},
        revision_lines={
            lang: labels[lang]["revision"] % {"revision": revision, "date": built[lang]} for lang in options.langs
        },
        site=site,
    )
    files.assets["assets/site.css"] = SITE_CSS.read_bytes() + (TEMPLATE_DIR / "bundle.css").read_bytes()
    return files


def zip_bytes(files: BundleFiles, today: date) -> bytes:
    """One deflated zip; entries sorted and dated ``today`` so the same input gives the same bytes."""
    stamp = (today.year, today.month, today.day, 0, 0, 0)
    entries: dict[str, bytes] = {path: text.encode("utf-8") for path, text in files.pages.items()}
    entries.update(files.assets)
    entries.update({path: source.read_bytes() for path, source in files.images.items()})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(entries):
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[path], compresslevel=9)
    return buffer.getvalue()


def build_zip(
    store: CurriculumStore, options: BundleOptions, labels: Mapping[str, BundleLabels], *, today: date
) -> bytes:
    """The bundle as zip bytes."""
    return zip_bytes(build_files(store, options, labels, today=today), today)
