"""``flask curriculum ...``: validate, report translation status and changes, mark translations current."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..curriculum import CurriculumStore, check_curriculum, revision_of, status
from ..curriculum.sourcediff import SectionChange, SourceDiff, excerpt
from ..curriculum.translation import changes

curriculum_cli = AppGroup("curriculum", help="Check and maintain the curriculum files.")

STATE_MARKS = {"source": "source", "ok": "ok", "outdated": "OUTDATED", "missing": "missing", "error": "ERROR"}


def _store(path: str | None) -> CurriculumStore:
    return CurriculumStore(
        path or current_app.config["CURRICULUM_DIR"], revisions=current_app.config.get("SOURCE_REVISIONS_DIR")
    )


@curriculum_cli.command("check")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Curriculum folder (default: CURRICULUM_DIR).")
@click.option("--strict", is_flag=True, help="Fail on warnings too (missing or outdated translations).")
@click.option("--lang", "langs", help="Only these languages' files, comma-separated (shared files are always checked).")
def check_command(path: str | None, strict: bool, langs: str | None) -> None:
    """Validate everything; one line per problem as path:line: level: message."""
    root = Path(path or current_app.config["CURRICULUM_DIR"])
    if not root.is_dir():
        raise click.ClickException(f"no curriculum folder at {root}")
    problems = check_curriculum(root)
    if langs:
        wanted = {code.strip() for code in langs.split(",") if code.strip()}
        known = set(CurriculumStore(root).meta().languages)
        if wanted - known:
            raise click.ClickException(f"--lang: unknown language(s) {', '.join(sorted(wanted - known))}")
        # A problem belongs to a language when it is in that language's file (de.md, de.yaml).
        problems = [p for p in problems if Path(p.path).stem not in known - wanted]
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        raise SystemExit(1)


@curriculum_cli.command("status")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Curriculum folder (default: CURRICULUM_DIR).")
def status_command(path: str | None) -> None:
    """A table of modules × languages: ok / outdated / missing."""
    store = _store(path)
    languages = store.meta().languages
    rows = status(store)
    width = max([len(r.name) for r in rows] + [6])
    click.echo(" ".join(["module".ljust(width), *(lang.ljust(8) for lang in languages)]).rstrip())
    for row in rows:
        cells = (STATE_MARKS[row.states[lang]].ljust(8) for lang in languages)
        click.echo(" ".join([row.name.ljust(width), *cells]).rstrip())
    outdated = [(row.name, lang) for row in rows for lang in languages if row.states[lang] == "outdated"]
    outdated = [(name, lang) for name, lang in outdated if name in store.meta().modules]
    if outdated:
        click.echo("")
        click.echo("To update (see 'flask curriculum diff MODULE LANG'):")
    for name, lang in outdated:
        diff = changes(store, name, lang)
        if diff.found:
            what = (
                f"{_count(diff.changed_sections, 'changed section')}, {_count(diff.words_to_update, 'word')} to update"
            )
        else:
            what = f"old source not found: review the whole module ({_count(diff.words_to_update, 'word')})"
        click.echo(f"  {name} {lang}: {what}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


DIFF_CONTEXT_LINES = 1


def _diff_lines(entry: SectionChange) -> list[str]:
    """The word diff as lines, [-removed-] and {+added+}, with unchanged lines far from a change left out."""
    if entry.state in ("added", "unknown"):
        return (entry.new_text or "").split("\n")
    if entry.state == "removed":
        return (entry.old_text or "").split("\n")
    marks = {"delete": ("[-", "-]", "red"), "insert": ("{+", "+}", "green")}

    def show(word) -> str:
        if word.op == "equal":
            return word.text
        start, end, colour = marks[word.op]
        return click.style(f"{start}{word.text}{end}", fg=colour)

    return [
        "…" if line is None else "".join(show(w) for w in line) for line in excerpt(entry.words, DIFF_CONTEXT_LINES)
    ]


def _print_diff(diff: SourceDiff) -> None:
    entries = diff.changed if diff.found else diff.entries
    labels = {"front-matter": "front matter (title, summary, objectives)", "introduction": "introduction"}
    for entry in entries:
        name = labels.get(entry.id) or f"## {entry.title} {{#{entry.id}}}"
        state = entry.state if not entry.moved else ("moved" if entry.state == "unchanged" else f"{entry.state}, moved")
        if entry.state == "unknown":
            state = "old text not found, whole section"
        click.echo("")
        click.echo(click.style(f"{name}: {state} ({_count(entry.words_to_update, 'word')} to update)", bold=True))
        for line in _diff_lines(entry):
            click.echo(f"    {line}".rstrip())
    unchanged = [e.id for e in diff.entries if e.kind == "section" and not e.needs_update]
    if diff.found and unchanged:
        click.echo("")
        click.echo(f"Unchanged sections: {', '.join(unchanged)}")


@curriculum_cli.command("diff")
@click.argument("slug")
@click.argument("lang")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Curriculum folder (default: CURRICULUM_DIR).")
def diff_command(slug: str, lang: str, path: str | None) -> None:
    """What changed in the source of module SLUG since its LANG translation was made, section by section."""
    store = _store(path)
    try:
        diff = changes(store, slug, lang)
    except ValueError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
    source_language = store.meta().source_language
    if lang == source_language:
        click.echo(f"{lang} is the source language of {slug}: there is no translation to compare.")
        return
    if diff.from_revision is None:
        click.echo(f"{slug} has no {lang} translation yet: translate the whole module.")
        return
    if diff.current:
        click.echo(f"{slug} {lang} is current: made from source revision {diff.to_revision}; nothing changed.")
        return
    click.echo(
        f"{slug} {lang}: made from source revision {diff.from_revision}, the source is now at {diff.to_revision}."
    )
    if diff.found:
        click.echo(
            f"Old source text from {diff.origin}. {_count(diff.changed_sections, 'changed section')}, "
            f"{_count(diff.words_to_update, 'word')} to update."
        )
    else:
        click.echo(
            f"The source text of revision {diff.from_revision} was not found (not in Git history, not in the "
            "revision store): every section is shown whole."
        )
    _print_diff(diff)


@curriculum_cli.command("revision")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def revision_command(file: str) -> None:
    """Print a file's revision (what translations record as source_revision)."""
    click.echo(revision_of(Path(file).read_bytes()))


@curriculum_cli.command("mark-current")
@click.argument("name")
@click.argument("lang")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Curriculum folder (default: CURRICULUM_DIR).")
def mark_current_command(name: str, lang: str, path: str | None) -> None:
    """After review: record that NAME (a module slug or 'competencies') in LANG matches the source.

    Needs every review step (curriculum.yaml review_steps) recorded for the current source revision.
    """
    from ..models_base import utcnow
    from ..translations.services import mark_reviewed_current

    try:
        target, revision = mark_reviewed_current(None, _store(path), name, lang, utcnow())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{target}: source_revision {revision}")


@curriculum_cli.command("review")
@click.argument("name")
@click.argument("lang")
@click.argument("step")
@click.option("--by", "login", required=True, help="Sign-in name of the person who did the step.")
@click.option("--note", default="", help="What was checked or changed.")
@click.option(
    "--attach", type=click.Path(exists=True, dir_okay=False), help="A file to keep with the step (a back-translation)."
)
@click.option("--path", "path", type=click.Path(file_okay=False), help="Curriculum folder (default: CURRICULUM_DIR).")
def review_command(
    name: str, lang: str, step: str, login: str, note: str, attach: str | None, path: str | None
) -> None:
    """Record review STEP (e.g. translated, peer-reviewed, approved) for NAME in LANG."""
    from sqlalchemy import select

    from ..accounts.models import User
    from ..extensions import db
    from ..models_base import utcnow
    from ..translations.services import NotAllowed, record_step

    actor = db.session.scalar(select(User).where(User.login == login))
    if actor is None:
        raise click.ClickException(f"--by: no account {login!r}")
    attachment = (Path(attach).name, Path(attach).read_bytes()) if attach else None
    try:
        entry = record_step(actor, _store(path), name, lang, step, note, utcnow(), attachment)
    except (NotAllowed, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name} {lang}: {entry.step} recorded by {login} for source revision {entry.source_revision}")


@curriculum_cli.command("grant-translator")
@click.argument("login")
@click.argument("lang")
@click.option("--approver", is_flag=True, help="May also record the last review step (approval).")
@click.option("--site", "site_id", help="Only this site's overlays.")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Curriculum folder (default: CURRICULUM_DIR).")
def grant_translator_command(login: str, lang: str, approver: bool, site_id: str | None, path: str | None) -> None:
    """Let LOGIN translate and review LANG (run by whoever administers the server)."""
    from sqlalchemy import select

    from ..accounts.models import User
    from ..audit import record
    from ..extensions import db
    from ..models_base import utcnow
    from ..translations.models import TranslatorGrant

    store = _store(path)
    if lang not in store.meta().languages or lang == store.meta().source_language:
        raise click.ClickException(f"{lang!r} is not a translation language of this curriculum")
    if site_id and site_id not in store.sites():
        raise click.ClickException(f"--site: unknown site {site_id!r}")
    user = db.session.scalar(select(User).where(User.login == login))
    if user is None:
        raise click.ClickException(f"no account {login!r}")
    now = utcnow()
    grant = TranslatorGrant(user_id=user.id, lang=lang, site_id=site_id, may_approve=approver, granted_at=now)
    db.session.add(grant)
    db.session.flush()
    record(None, "translation.grant", "translator_grant", grant.id, site_id, now, login=login, lang=lang)
    db.session.commit()
    scope = f" (overlays of site {site_id})" if site_id else ""
    click.echo(f"{login} may translate {lang}{scope}" + (" and approve" if approver else ""))


@curriculum_cli.command("export")
@click.argument("lang")
@click.argument("slugs", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["po", "xliff"]), default="po", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Curriculum folder (default: CURRICULUM_DIR).")
def export_command(lang: str, slugs: tuple[str, ...], fmt: str, output: str | None, path: str | None) -> None:
    """Export modules (all when none are named) in LANG as PO or XLIFF segments for translation tools."""
    from ..curriculum.exchange import export

    store = _store(path)
    try:
        data = export(store, slugs or store.meta().modules, lang, fmt)  # type: ignore[arg-type]
    except ValueError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
    if output:
        Path(output).write_bytes(data)
        click.echo(f"{output}: {', '.join(slugs or store.meta().modules)} in {lang}", err=True)
    else:
        click.get_binary_stream("stdout").write(data)


@curriculum_cli.command("import")
@click.argument("lang")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["po", "xliff"]), help="Default: from the file name.")
@click.option("--dry-run", is_flag=True, help="Check only; write nothing.")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Curriculum folder (default: CURRICULUM_DIR).")
def import_command(lang: str, file: str, fmt: str | None, dry_run: bool, path: str | None) -> None:
    """Put translated PO or XLIFF segments back into the LANG module files; refused whole when ids do not match."""
    from ..curriculum.exchange import import_file

    if fmt is None:
        suffix = Path(file).suffix.lower()
        fmt = "po" if suffix in (".po", ".pot") else "xliff" if suffix in (".xlf", ".xliff") else None
        if fmt is None:
            raise click.ClickException(f"{file}: say --format po or --format xliff")
    result = import_file(_store(path), Path(file).read_bytes(), file, lang, fmt, write=not dry_run)  # type: ignore[arg-type]
    for problem in result.problems:
        click.echo(str(problem), err=True)
    if not result.ok:
        click.echo("Import refused; no file was changed.", err=True)
        raise SystemExit(1)
    for written in result.written:
        click.echo(f"{written}: updated")
    if result.untranslated:
        click.echo(f"{_count(result.untranslated, 'segment')} untranslated or marked fuzzy: kept as they were.")
    if dry_run:
        click.echo("Dry run: the import would be accepted; nothing was written.")
    elif not result.written:
        click.echo("Nothing changed.")
