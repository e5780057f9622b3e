"""The translators' desk on the web: modules × languages, a side-by-side view, review steps.

Only organisation admins and people granted a language see it; everyone else
gets 404, as for any page they may not use. Reading and reviewing happen here;
the text itself is edited in the Markdown files (see docs/authoring.md).
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..curriculum import CurriculumStore, direction
from ..curriculum.sourcediff import excerpt
from ..curriculum.translation import changes
from ..extensions import db
from ..models_base import utcnow
from ..permissions import may_review_translation, may_translate, may_use_translation_desk, translation_languages
from . import services
from .models import TranslationStep

bp = Blueprint("translations", __name__, url_prefix="/desk")

# Names of the built-in review steps; steps a programme adds show their id.
STEP_NAMES = {"translated": _l("translated"), "peer-reviewed": _l("peer reviewed"), "approved": _l("approved")}
CHANGE_NAMES = {"changed": _l("changed"), "added": _l("added"), "removed": _l("removed"), "unknown": _l("changed")}


def store() -> CurriculumStore:
    return current_app.extensions["curriculum"]


def _allowed(lang: str) -> None:
    meta = store().meta()
    if lang not in meta.languages or lang == meta.source_language or not may_translate(current_user, lang):
        abort(404)


@bp.get("/")
@login_required
def index():
    """Modules × the languages this person translates: status and words to translate."""
    if not may_use_translation_desk(current_user):
        abort(404)
    meta = store().meta()
    langs = translation_languages(current_user, tuple(x for x in meta.languages if x != meta.source_language))
    rows = services.desk(store(), current_user, langs)
    titles = {v.slug: v.title for v in store().modules(meta.source_language)}
    return render_template("translations/desk.html", rows=rows, langs=langs, titles=titles)


@bp.get("/<slug>/<lang>")
@login_required
def module(slug: str, lang: str):
    """Source | translation, section by section, with what changed in the source since the translation."""
    _allowed(lang)
    meta = store().meta()
    if slug not in meta.modules:
        abort(404)
    source_view = store().module(slug, meta.source_language)
    view = store().module(slug, lang, drafts=True)
    if source_view is None or view is None:
        abort(404)
    source = store().render(source_view, "trainer")
    has_translation = not view.fallback
    translated = {s.id: s for s in store().render(view, "trainer").sections} if has_translation else {}
    diff = changes(store(), slug, lang) if has_translation else None
    state = services.workflow(store(), slug, lang)
    blocks = {s.id: [(b.type, b.attrs.get("id")) for b in s.blocks()] for s in source_view.source.sections}
    removed = [e for e in diff.entries if e.state == "removed"] if diff else []
    return render_template(
        "translations/module.html",
        slug=slug,
        lang=lang,
        source_lang=meta.source_language,
        source_view=source_view,
        view=view,
        source=source,
        translated=translated,
        has_translation=has_translation,
        diff=diff,
        removed=removed,
        blocks=blocks,
        state=state,
        text_dir=direction(lang),
        step_names=STEP_NAMES,
        change_names=CHANGE_NAMES,
        excerpt=excerpt,
        may_record=state.next_step is not None
        and may_review_translation(current_user, lang, state.next_step, state.steps),
        may_approve=may_review_translation(current_user, lang, state.steps[-1], state.steps),
    )


@bp.post("/<slug>/<lang>/steps")
@login_required
def record_step(slug: str, lang: str):
    _allowed(lang)
    upload = request.files.get("attachment")
    attachment = (upload.filename or "attachment", upload.read()) if upload and upload.filename else None
    try:
        services.record_step(
            current_user,
            store(),
            slug,
            lang,
            request.form.get("step", ""),
            request.form.get("note", "")[:4000],
            utcnow(),
            attachment,
        )
    except services.NotAllowed:
        abort(404)
    except services.ReviewError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Step recorded."), "info")
    return redirect(url_for(".module", slug=slug, lang=lang) + "#review")


@bp.post("/<slug>/<lang>/current")
@login_required
def mark_current(slug: str, lang: str):
    _allowed(lang)
    try:
        services.mark_reviewed_current(current_user, store(), slug, lang, utcnow())
    except services.NotAllowed:
        abort(404)
    except services.ReviewError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Marked current: the source revision is written into the translation file."), "info")
    return redirect(url_for(".module", slug=slug, lang=lang) + "#review")


@bp.get("/<slug>/<lang>/steps/<int:step_id>/attachment")
@login_required
def attachment(slug: str, lang: str, step_id: int):
    _allowed(lang)
    entry = db.session.get(TranslationStep, step_id)
    if entry is None or entry.name != slug or entry.lang != lang or entry.attachment is None:
        abort(404)
    return send_file(
        BytesIO(entry.attachment),
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=entry.attachment_name or "attachment",
    )
