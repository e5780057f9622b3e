"""The words a printed manual needs besides the content, in the manual's language.

Marked for the UI catalogs with ``lazy_gettext`` and read inside
``force_locale``, so the CLI, worker threads and RQ workers print the same
words as the web would. The document builder receives plain strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from babel import Locale
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..curriculum.render import Labels
from ..i18n import block_labels

TEXT = {
    "workbook": _l("Trainee workbook"),
    "manual": _l("Trainer manual"),
    "handouts": _l("Handout pack"),
    "audience_trainee": _l("For trainees"),
    "audience_trainer": _l("For trainers"),
    "contents": _l("Contents"),
    "page_of": _l("Page %(page)s of %(pages)s"),
    "page_ref": _l("page %(page)s"),
    "site": _l("Site"),
    "all_sites": _l("All sites (no local adaptations)"),
    "language": _l("Language"),
    "printed_on": _l("Printed on %(date)s"),
    "revision": _l("Revision %(revision)s"),
    "module_n": _l("Module %(n)s"),
    "objectives": _l("What you will learn"),
    "workshop_time": _l("Workshop time: %(duration)s"),
    "competencies": _l("Competencies:"),
    "fallback": _l("Not yet translated — shown in %(language)s."),
    "outdated": _l("This translation may be out of date: the original has changed since it was translated."),
    "local": _l("Local to this site"),
    "session_plan": _l("Session plan"),
    "plan_running": _l("Running total"),
    "plan_section": _l("Section"),
    "plan_activity": _l("Activity"),
    "plan_minutes": _l("Minutes"),
    "plan_summary": _l(
        "Timed activities take %(activities)s of the %(workshop)s workshop; the other %(rest)s are for input, discussion and breaks."
    ),
    "plan_over": _l(
        "Timed activities take %(activities)s, more than the %(workshop)s workshop: decide in advance what to shorten."
    ),
    "plan_empty": _l("This module has no timed activities."),
    "your_notes": _l("Your notes"),
    "no_handouts": _l("These modules have no handouts."),
    "kits": _l("Assessment kits"),
    "kit_scenarios": _l("Role-play scenarios"),
    "kit_checklist": _l("What the assessor looks for"),
    "kit_harmful": _l("should not happen"),
    "kit_evidence": _l("Evidence:"),
}

# CLDR numbering systems that have a predefined CSS counter style.
COUNTER_STYLES = {
    "arab": "arabic-indic",
    "arabext": "persian",
    "deva": "devanagari",
    "gujr": "gujarati",
    "beng": "bengali",
    "thai": "thai",
}


@dataclass(frozen=True)
class PrintLabels:
    """Everything language-specific a manual prints, as plain strings."""

    lang: str
    text: Mapping[str, str]
    blocks: Mapping[str, Labels] = field(default_factory=dict)  # per content language
    counter_style: str = "decimal"

    def __getitem__(self, key: str) -> str:
        return self.text[key]

    def block_labels(self, content_lang: str) -> Labels:
        return self.blocks.get(content_lang) or self.blocks[self.lang]


def counter_style(lang: str) -> str:
    """The CSS counter style for the language's default digits (Latin digits for most)."""
    try:
        system = Locale.parse(lang).default_numbering_system
    except (ValueError, TypeError, LookupError):
        return "decimal"
    return COUNTER_STYLES.get(system, "decimal")


def print_labels(lang: str, content_langs: tuple[str, ...] = ()) -> PrintLabels:
    """Labels in ``lang``; role-block labels also for each language content falls back to. Needs an app context."""
    with force_locale(lang):
        text = {key: str(value) for key, value in TEXT.items()}
    blocks = {code: block_labels(code) for code in dict.fromkeys((lang, *content_langs))}
    return PrintLabels(lang, MappingProxyType(text), MappingProxyType(blocks), counter_style(lang))
