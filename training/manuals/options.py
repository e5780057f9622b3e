"""What to print: the choices that, with the content, decide a manual."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..curriculum import Audience, CurriculumStore

Kind = Literal["workbook", "manual", "handouts"]
Paper = Literal["a4", "letter"]
KINDS: tuple[Kind, ...] = ("workbook", "manual", "handouts")
PAPERS: tuple[Paper, ...] = ("a4", "letter")
# Handouts are given to everyone, so they print as trainees see them.
AUDIENCE_OF: dict[Kind, Audience] = {"workbook": "trainee", "manual": "trainer", "handouts": "trainee"}
KIND_FOR_AUDIENCE: dict[Audience, Kind] = {"trainee": "workbook", "trainer": "manual"}


class OptionsError(ValueError):
    """A choice that does not exist in this curriculum; names the option."""

    def __init__(self, option: str, message: str):
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


@dataclass(frozen=True)
class ManualOptions:
    kind: Kind
    lang: str
    site: str | None = None
    modules: tuple[str, ...] = ()  # empty: every module, in the curriculum's order
    paper: Paper = "a4"

    @property
    def audience(self) -> Audience:
        return AUDIENCE_OF[self.kind]

    @property
    def slug(self) -> str:
        """A readable file name stem: peerpath-manual-he-galil-a4."""
        parts = ["peerpath", self.kind, self.lang, self.site or "", "-".join(self.modules), self.paper]
        return "-".join(p for p in parts if p)


def resolve(
    store: CurriculumStore,
    *,
    kind: str,
    lang: str,
    site: str | None = None,
    modules: tuple[str, ...] | list[str] = (),
    paper: str = "a4",
) -> ManualOptions:
    """Check choices against the curriculum and put modules in teaching order; OptionsError if one is unknown."""
    meta = store.meta()
    if kind not in KINDS:
        raise OptionsError("kind", f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    if paper not in PAPERS:
        raise OptionsError("paper", f"unknown paper {paper!r} (known: {', '.join(PAPERS)})")
    site_obj = store.site(site) if site else None
    if site and site_obj is None:
        raise OptionsError("site", f"unknown site {site!r}")
    offered = site_obj.languages if site_obj else meta.languages
    if lang not in offered:
        where = f"site {site}" if site_obj else "the curriculum"
        raise OptionsError("lang", f"{lang!r} is not a language of {where} ({', '.join(offered)})")
    unknown = [m for m in modules if m not in meta.modules]
    if unknown:
        raise OptionsError("modules", f"unknown module(s): {', '.join(unknown)}")
    chosen = set(modules)
    ordered = tuple(m for m in meta.modules if m in chosen)
    if ordered == meta.modules:
        ordered = ()  # all modules: one cache entry however they were listed
    return ManualOptions(kind=kind, lang=lang, site=site or None, modules=ordered, paper=paper)  # type: ignore[arg-type]
