"""The words a bundle needs besides the content: the print labels plus a few for navigation."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..manuals.labels import PrintLabels, print_labels

TEXT = {
    "modules": _l("Modules"),
    "sections": _l("Sections"),
    "framework": _l("Competency framework"),
    "previous": _l("Previous"),
    "next": _l("Next"),
    "other_modules": _l("Other modules"),
    "revision": _l("Curriculum revision %(revision)s, built on %(date)s"),
}


@dataclass(frozen=True)
class BundleLabels:
    """Print labels (module numbers, notices, kits …) and the navigation words, as plain strings."""

    print: PrintLabels
    nav: MappingProxyType

    def __getitem__(self, key: str) -> str:
        return self.nav[key] if key in self.nav else self.print[key]


def bundle_labels(lang: str, source_lang: str) -> BundleLabels:
    """Labels in ``lang``. Needs an app context (the UI catalogs)."""
    with force_locale(lang):
        nav = {key: str(value) for key, value in TEXT.items()}
    return BundleLabels(print_labels(lang, (source_lang,)), MappingProxyType(nav))
