"""Language facts from Babel's CLDR data: names, direction, validity."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError


@lru_cache(maxsize=256)
def is_known(code: str) -> bool:
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


@lru_cache(maxsize=256)
def direction(code: str) -> str:
    """'rtl' or 'ltr' for a language code (unknown codes read left to right)."""
    return Locale.parse(code).text_direction if is_known(code) else "ltr"


@lru_cache(maxsize=256)
def native_name(code: str) -> str:
    """The language's name in itself, as a reader would look for it in a switcher."""
    if not is_known(code):
        return code
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


# Languages whose speakers, writing in a Latin script, call them by their own name where CLDR
# gives an older exonym: "Luganda", not "Ganda". One name per language across the interface.
ENDONYM_IN_LATIN = frozenset({"lg"})


@lru_cache(maxsize=1024)
def name_in(code: str, reader: str) -> str:
    """The language's name in the reader's language ('Englisch' for a German reader)."""
    if not (is_known(code) and is_known(reader)):
        return code
    name = Locale.parse(code).get_display_name(reader) or code
    if code in ENDONYM_IN_LATIN and name.isascii():
        return native_name(code)
    return name[:1].upper() + name[1:]
