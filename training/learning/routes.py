"""Reading the curriculum: module list, module pages, marking sections done, the journal."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from ..curriculum import ModuleView
from ..curriculum.paths import resolve_inside
from ..errors import InvalidInput
from ..extensions import db
from ..i18n import block_labels, curriculum_languages
from ..permissions import is_staff, keeps_own_record
from ..web import store
from ..webforms import requires
from . import progress, reflections

bp = Blueprint("learning", __name__, url_prefix="/<lang>")


@bp.url_value_preprocessor
def take_language(endpoint, values) -> None:
    g.lang = (values or {}).pop("lang", None)


@bp.url_defaults
def keep_language(endpoint, values) -> None:
    if "lang" not in values:
        values["lang"] = getattr(g, "lang", None) or str(get_locale())


@bp.before_request
def known_language():
    if g.lang not in curriculum_languages():
        abort(404)
    # A signed-in reader's own language wins: the UI follows their setting.
    preferred = getattr(current_user, "language", None)
    if request.method == "GET" and preferred and preferred != g.lang and preferred in curriculum_languages():
        args = {**request.args.to_dict(), **(request.view_args or {}), "lang": preferred}
        return redirect(url_for(request.endpoint, **{k: v for k, v in args.items() if not k.startswith("_")}))
    return None


def site():
    return store().site(getattr(g, "site_id", None))


def reader_audience() -> str:
    """Trainer blocks only for people who run trainings; everyone else reads as a trainee."""
    return "trainer" if is_staff(current_user) else "trainee"


def _module_or_404(slug: str) -> ModuleView:
    view = store().module(slug, g.lang, site())
    if view is None:
        abort(404)
    return view


@bp.get("/")
def index():
    views = store().modules(g.lang, site())
    per_module, overall, resume = {}, None, None
    if keeps_own_record(current_user):
        done = progress.done_for(current_user)
        rows, overall = progress.curriculum_progress(views, done)
        per_module = {p.slug: p for p in rows}
        resume = progress.continue_point(store(), g.lang, site(), done, views)
    return render_template(
        "learning/index.html",
        modules=views,
        framework=store().framework(g.lang),
        progress=per_module,
        overall=overall,
        resume=resume,
    )


@bp.get("/modules/<slug>/")
def module(slug: str):
    view = _module_or_404(slug)
    rendered = store().render(view, reader_audience(), "web", block_labels(view.content_lang))
    previous, following = store().neighbours(view)
    done, module_state, written = {}, None, set()
    if keeps_own_record(current_user):
        all_done = progress.done_for(current_user)
        done = all_done.get(view.slug, {})
        module_state = progress.module_progress(view, all_done)
        written = {r.prompt for r in reflections.reflections_for(current_user, view.slug)}
    return render_template(
        "learning/module.html",
        view=view,
        rendered=rendered,
        framework=store().framework(g.lang),
        previous=store().module(previous, g.lang, site()) if previous else None,
        following=store().module(following, g.lang, site()) if following else None,
        done=done,
        module_state=module_state,
        written=written,
        form=FlaskForm(),
    )


@bp.post("/modules/<slug>/sections/<section_id>/done")
@requires(keeps_own_record)
def section_done(slug: str, section_id: str):
    """One tap, a plain form POST: works without JavaScript. Undo posts done=0."""
    view = _module_or_404(slug)
    if section_id not in view.section_ids:
        abort(404)
    if request.form.get("done", "1") == "0":
        progress.mark_not_done(current_user, view.slug, section_id)
    else:
        try:
            progress.mark_done(current_user, view, section_id)
        except InvalidInput:
            abort(404)
    db.session.commit()
    return redirect(url_for("learning.module", slug=slug) + f"#{section_id}")


@bp.route("/modules/<slug>/journal", methods=["GET", "POST"])
@requires(keeps_own_record)
def journal(slug: str):
    """The trainee's private reflections for one module: one entry per prompt, plus a general one."""
    view = _module_or_404(slug)
    prompts = reflections.prompts_of(view)
    form = FlaskForm()
    errors: dict[str, str] = {}
    if request.method == "POST":  # CSRF is checked for every POST by CSRFProtect
        prompt = request.form.get("prompt", "")
        body = request.form.get("body", "")
        try:
            reflections.save_reflection(current_user, view, prompt, body, request.form.get("shared") == "1")
        except InvalidInput as exc:
            errors[prompt] = str(exc.message)
        else:
            db.session.commit()
            flash(_("Saved."), "info")
            return redirect(url_for("learning.journal", slug=slug) + (f"#p-{prompt}" if prompt else "#p-general"))
    entries = {r.prompt: r for r in reflections.reflections_for(current_user, view.slug)}
    return render_template(
        "learning/journal.html",
        view=view,
        prompts=prompts,
        entries=entries,
        form=form,
        errors=errors,
        draft=request.form if errors else {},
    )


@bp.get("/journal")
@requires(keeps_own_record)
def my_journal():
    entries = reflections.reflections_for(current_user)
    titles = {v.slug: v.title for v in store().modules(g.lang, site())}
    return render_template("learning/my_journal.html", entries=entries, titles=titles)


@bp.get("/modules/<slug>/images/<path:filename>")
def module_image(slug: str, filename: str):
    view = _module_or_404(slug)
    # Resolved inside the curriculum folder: a symbolic link out of it (to the database,
    # /etc/passwd) is a 404 like a missing file.
    path = resolve_inside(store().root, f"modules/{view.slug}/images/{filename}")
    if path is None or not path.is_relative_to(store().root / "modules" / view.slug / "images"):
        abort(404)
    return send_file(path, max_age=3600)
