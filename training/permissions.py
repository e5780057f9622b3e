"""Who may do what: one function per question, taking the acting user first and the object second."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .extensions import db

# == Translators' desk (issue 13) ==================================================================
# Translation work is granted per language (TranslatorGrant rows), optionally only for one site's
# overlays. Organisation admins may do everything; the last review step (approval) needs an admin
# or a grant with may_approve. Kept as one block so it merges as a plain union with the other rules.


def _is_admin(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and getattr(actor, "role", None) == "admin"


def _translator_grants(actor: Any, lang: str | None = None) -> list[Any]:
    from .translations.models import TranslatorGrant

    if not getattr(actor, "is_authenticated", False) or not getattr(actor, "active", True):
        return []
    query = select(TranslatorGrant).where(TranslatorGrant.user_id == actor.id)
    if lang is not None:
        query = query.where(TranslatorGrant.lang == lang)
    return list(db.session.scalars(query))


def may_use_translation_desk(actor: Any) -> bool:
    """Organisation admins and anyone granted a language to translate."""
    return _is_admin(actor) or bool(_translator_grants(actor))


def translation_languages(actor: Any, languages: tuple[str, ...]) -> tuple[str, ...]:
    """The languages (of ``languages``) whose module translations the actor may work on."""
    if _is_admin(actor):
        return languages
    granted = {g.lang for g in _translator_grants(actor) if g.site_id is None}
    return tuple(lang for lang in languages if lang in granted)


def may_translate(actor: Any, lang: str, site_id: str | None = None) -> bool:
    """Edit and export/import ``lang``: the module files, or with ``site_id`` only that site's overlays."""
    if _is_admin(actor):
        return True
    return any(g.site_id is None or g.site_id == site_id for g in _translator_grants(actor, lang))


def may_review_translation(actor: Any, lang: str, step: str, steps: tuple[str, ...]) -> bool:
    """Record review ``step`` for ``lang``: translators of the language; the last step needs an approver."""
    if step not in steps:
        return False
    if _is_admin(actor):
        return True
    grants = [g for g in _translator_grants(actor, lang) if g.site_id is None]
    if step == steps[-1]:
        return any(g.may_approve for g in grants)
    return bool(grants)


def may_grant_translators(actor: Any) -> bool:
    """Organisation admins hand out and take back translation grants."""
    return _is_admin(actor)


# == end of the translators' desk rules ============================================================
