"""``flask assessments ...``: agreement statistics from a file of ratings."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from .agreement import AgreementFileError, format_results, icc_all, read_ratings

assessments_cli = AppGroup("assessments", help="Assessment tools: rater agreement.")


@assessments_cli.command("agreement")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def agreement_command(file: Path) -> None:
    """Intraclass correlations from a CSV with columns target,rater,score (every target rated by every rater)."""
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            table = read_ratings(handle)
    except OSError as exc:
        raise click.ClickException(f"{file}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: not UTF-8 text") from None
    except AgreementFileError as exc:
        where = f"{file}:{exc.line}" if exc.line else str(file)
        raise click.ClickException(f"{where}: {exc.message}") from None
    for line in format_results(icc_all(table.scores)):
        click.echo(line)
