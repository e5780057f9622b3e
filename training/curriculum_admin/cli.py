"""``flask curriculum ...``: validate, report translation status, mark translations current."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..curriculum import CurriculumStore, check_curriculum, mark_current, revision_of, status

curriculum_cli = AppGroup("curriculum", help="Check and maintain the curriculum files.")

STATE_MARKS = {"source": "source", "ok": "ok", "outdated": "OUTDATED", "missing": "missing", "error": "ERROR"}


def _store(path: str | None) -> CurriculumStore:
    return CurriculumStore(path or current_app.config["CURRICULUM_DIR"])


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
    """After review: record that NAME (a module slug or 'competencies') in LANG matches the source."""
    try:
        target, revision = mark_current(_store(path), name, lang)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{target}: source_revision {revision}")
