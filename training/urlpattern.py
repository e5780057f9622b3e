"""Links for many ids at once: one ``url_for`` per page, then the id filled in.

A grid of 1,000 trainees x 16 competencies would otherwise build 16,000 URLs through
the router; the result is the same string either way.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import url_for

_MARKER = 2147483647  # the largest id a URL accepts: never a real id in the same URL


def id_url(endpoint: str, key: str, **values) -> Callable[[int], str]:
    """``url_for(endpoint, **values, key=id)`` as a function of an integer id."""
    head, _marker, tail = url_for(endpoint, **values, **{key: _MARKER}).rpartition(str(_MARKER))
    return lambda ident: f"{head}{int(ident)}{tail}"
