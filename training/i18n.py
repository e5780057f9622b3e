"""Locale selection and language helpers for the web and for rendering outside requests.

Order for the UI language: the signed-in user's setting, the language in the
URL, the browser's Accept-Language, the site's default.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from babel.units import format_unit
from flask import current_app, g, has_request_context, request
from flask_babel import force_locale, get_locale, gettext, lazy_gettext

from .curriculum import DEFAULT_LABELS, direction, name_in, native_name


def curriculum_languages() -> tuple[str, ...]:
    return current_app.extensions["curriculum"].meta().languages


def user_language() -> str | None:
    """The signed-in user's chosen language, when accounts exist and one is chosen."""
    from flask_login import current_user

    lang = getattr(current_user, "language", None) if current_user else None
    return lang if lang in curriculum_languages() else None


def site_default_language() -> str:
    store = current_app.extensions["curriculum"]
    site = store.site(getattr(g, "site_id", None))
    return site.default_language if site else store.meta().source_language


def select_locale() -> str:
    languages = curriculum_languages()
    preferred = user_language()
    if preferred:
        return preferred
    url_lang = getattr(g, "lang", None)
    if url_lang in languages:
        return url_lang
    if has_request_context():
        best = request.accept_languages.best_match(languages)
        if best:
            return best
    return site_default_language()


def text_direction(lang: str) -> str:
    return direction(lang)


BLOCK_LABELS = {
    "trainer": lazy_gettext("Trainer notes"),
    "activity": lazy_gettext("Activity"),
    "reflection": lazy_gettext("Reflection"),
    "keypoints": lazy_gettext("Key points"),
    "handout": lazy_gettext("Handout"),
    "note": lazy_gettext("Note"),
}


def block_labels(lang: str) -> Mapping[str, str]:
    """Labels for role blocks in the language the content is written in."""
    return _block_labels(lang, current_app.config["BABEL_TRANSLATION_DIRECTORIES"])


@lru_cache(maxsize=64)
def _block_labels(lang: str, _catalogs: str) -> Mapping[str, str]:
    with force_locale(lang):
        labels = {key: str(value) for key, value in BLOCK_LABELS.items()}
        # {n} is filled in by the engine with the activity's minutes.
        labels["minutes"] = gettext("%(n)s min", n="{n}")
    return {**DEFAULT_LABELS, **labels}


def language_choices(languages: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(code, name in itself, direction) for a language switcher."""
    return [(code, native_name(code), direction(code)) for code in languages]


def language_name(code: str) -> str:
    """A language's name in the current UI language ('Englisch' on a German page)."""
    return name_in(code, str(get_locale() or "en"))


def format_minutes(minutes: int, locale: str | None = None) -> str:
    """'3 hours 30 minutes', in the UI language, from CLDR data (no catalog entry needed)."""
    return _format_minutes(int(minutes), locale or str(get_locale() or "en"))


@lru_cache(maxsize=1024)  # a page lists many modules with a handful of distinct durations
def _format_minutes(minutes: int, locale: str) -> str:
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(format_unit(hours, "duration-hour", length="long", locale=locale))
    if rest or not hours:
        parts.append(format_unit(rest, "duration-minute", length="long", locale=locale))
    return " ".join(parts)
