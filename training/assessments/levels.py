"""Rating levels (in the style of WHO/UNICEF EQUIP and ENACT) and the level a checklist suggests."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from ..curriculum import Competency

LEVEL_NAMES = {
    0: _l("Potentially harmful"),
    1: _l("Not yet competent"),
    2: _l("Competent"),
    3: _l("Advanced"),
}
LEVEL_DESCRIPTIONS = {
    0: _l("Did or said something that could harm the person. Needs a safety conversation and close support."),
    1: _l("Some helpful behaviour, but key behaviours are missing. Practise and assess again."),
    2: _l("Shows the key behaviours safely and reliably. Ready for supervised practice."),
    3: _l("Shows every key behaviour with skill and can model it for others."),
}
EVIDENCE_NAMES = {
    "knowledge": _l("Knowledge"),
    "skill": _l("Observed skill"),
    "practice": _l("Attested practice"),
}

# One letter per evidence kind for the compact competency grid; the legend spells them out.
EVIDENCE_LETTERS = {
    "knowledge": lazy_pgettext("one-letter abbreviation of Knowledge", "K"),
    "skill": lazy_pgettext("one-letter abbreviation of Observed skill", "S"),
    "practice": lazy_pgettext("one-letter abbreviation of Attested practice", "P"),
}


def suggest_level(competency: Competency, observed: Iterable[str]) -> int | None:
    """The level the ticked behaviours point to; the trainer confirms or changes it.

    Any harmful behaviour observed: 0. Otherwise by the share of helpful behaviours
    seen: all or nearly all (90 %+) 3, most (60 %+) 2, fewer 1. None without a checklist.
    """
    helpful = [item.id for item in competency.checklist if not item.harmful]
    harmful = {item.id for item in competency.checklist if item.harmful}
    seen = set(observed)
    if not competency.checklist:
        return None
    if seen & harmful:
        return 0
    if not helpful:
        return 2
    share = len(seen & set(helpful)) / len(helpful)
    if share >= 0.9:
        return 3
    if share >= 0.6:
        return 2
    return 1
