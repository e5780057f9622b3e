"""The translation-status page: modules × languages, current, outdated or missing."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..i18n import language_name
from ..permissions import may_see_translation_status
from ..web import store
from ..webforms import requires
from .services import translation_table

bp = Blueprint("curriculum_admin", __name__)


@bp.get("/translations")
@requires(may_see_translation_status)
def translation_status():
    """The same table as `flask curriculum status`, with module titles."""
    table = translation_table(store())
    return render_template(
        "curriculum_admin/translations.html",
        rows=table.rows,
        langs=table.languages,
        titles=table.titles,
        language_name=language_name,
    )
