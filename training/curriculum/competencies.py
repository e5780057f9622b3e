"""The competency framework: structure from framework.yaml, text per language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any

EVIDENCE_KINDS = ("knowledge", "skill", "practice")


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: str
    harmful: bool


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Competency:
    id: str
    domain: str
    evidence_kinds: tuple[str, ...]
    title: str
    description: str
    evidence: str
    scenarios: tuple[Scenario, ...]
    checklist: tuple[ChecklistItem, ...]
    modules: tuple[str, ...]
    lang: str  # language the text is in (the source language where a translation lacks it)


@dataclass(frozen=True)
class Domain:
    id: str
    title: str
    competencies: tuple[Competency, ...]


@dataclass(frozen=True)
class Framework:
    lang: str
    domains: tuple[Domain, ...]
    evidence_kinds: tuple[str, ...]
    fallback: bool  # no text file in the requested language
    outdated: bool  # the translation was made from an older source

    # Computed once per framework: pages ask for them once per module or grid cell.
    @cached_property
    def competencies(self) -> tuple[Competency, ...]:
        return tuple(c for d in self.domains for c in d.competencies)

    @cached_property
    def _by_id(self) -> Mapping[str, Competency]:
        return {c.id: c for c in reversed(self.competencies)}  # reversed: the first of duplicate ids wins

    def get(self, competency_id: str) -> Competency | None:
        return self._by_id.get(competency_id)

    @cached_property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.competencies)


def structure(data: Any) -> list[tuple[str, list[tuple[str, tuple[str, ...]]]]]:
    """Domains with their (competency id, evidence kinds) from framework.yaml data."""
    result = []
    for domain in (data or {}).get("domains") or []:
        if not isinstance(domain, dict):
            continue
        items = []
        for comp in domain.get("competencies") or []:
            if isinstance(comp, dict) and comp.get("id"):
                items.append((str(comp["id"]), tuple(str(e) for e in comp.get("evidence") or ())))
        result.append((str(domain.get("id", "")), items))
    return result


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    return str(value).strip() if isinstance(value, (str, int, float)) else ""


def _kit(entry: Mapping[str, Any]) -> tuple[tuple[Scenario, ...], tuple[ChecklistItem, ...]]:
    kit = entry.get("kit") if isinstance(entry.get("kit"), dict) else {}
    scenarios = tuple(
        Scenario(str(s.get("id", "")), _text(s, "title"), _text(s, "text"))
        for s in kit.get("scenarios") or []
        if isinstance(s, dict)
    )
    checklist = tuple(
        ChecklistItem(str(c.get("id", "")), _text(c, "text"), bool(c.get("harmful", False)))
        for c in kit.get("checklist") or []
        if isinstance(c, dict)
    )
    return scenarios, checklist


def build_framework(
    lang: str,
    framework_data: Any,
    text: Any,
    source_text: Any,
    source_lang: str,
    modules_by_competency: Mapping[str, tuple[str, ...]],
    *,
    fallback: bool,
    outdated: bool,
) -> Framework:
    """Combine the structure with the text in ``lang``, falling back per entry to the source."""
    text = text if isinstance(text, dict) else {}
    source_text = source_text if isinstance(source_text, dict) else {}
    entries = text.get("competencies") if isinstance(text.get("competencies"), dict) else {}
    source_entries = source_text.get("competencies") if isinstance(source_text.get("competencies"), dict) else {}
    domain_titles = text.get("domains") if isinstance(text.get("domains"), dict) else {}
    source_domains = source_text.get("domains") if isinstance(source_text.get("domains"), dict) else {}
    domains = []
    for domain_id, items in structure(framework_data):
        competencies = []
        for comp_id, kinds in items:
            entry = entries.get(comp_id)
            entry_lang = lang
            if not isinstance(entry, dict) or not _text(entry, "title"):
                entry, entry_lang = source_entries.get(comp_id) or {}, source_lang
            scenarios, checklist = _kit(entry)
            competencies.append(
                Competency(
                    id=comp_id,
                    domain=domain_id,
                    evidence_kinds=kinds,
                    title=_text(entry, "title") or comp_id,
                    description=_text(entry, "description"),
                    evidence=_text(entry, "evidence"),
                    scenarios=scenarios,
                    checklist=checklist,
                    modules=modules_by_competency.get(comp_id, ()),
                    lang=entry_lang,
                )
            )
        title = domain_titles.get(domain_id) or source_domains.get(domain_id) or domain_id
        domains.append(Domain(domain_id, str(title), tuple(competencies)))
    kinds = tuple((framework_data or {}).get("evidence_kinds") or EVIDENCE_KINDS)
    return Framework(lang, tuple(domains), kinds, fallback, outdated)


EMPTY_MAPPING: Mapping[str, Any] = MappingProxyType({})
