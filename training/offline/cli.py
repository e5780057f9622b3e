"""``flask offline bundle``: the curriculum as a static site in a zip, for reading with no server."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from .. import web
from ..manuals.build import site_today
from ..manuals.options import OptionsError
from .bundle import build_files, resolve_bundle, zip_bytes
from .labels import bundle_labels

offline_cli = AppGroup("offline", help="Offline reading: curriculum bundles that need no server.")


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@offline_cli.command("bundle")
@click.option("--lang", required=True, help="Language code(s), comma-separated: he or he,en.")
@click.option("--audience", type=click.Choice(["trainee", "trainer"]), required=True)
@click.option("--site", help="Site id: its local adaptations and name are included.")
@click.option("--modules", help="Comma-separated module slugs (default: all, in teaching order).")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True), help="Zip file to write.")
def bundle_command(lang: str, audience: str, site: str | None, modules: str | None, output: str) -> None:
    """Write a zip holding a static site: open index.html from it in any browser, no server needed."""
    store = web.store()
    try:
        options = resolve_bundle(store, langs=_split(lang), audience=audience, site=site, modules=_split(modules))
    except OptionsError as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.option}") from None
    source = store.meta().source_language
    labels = {code: bundle_labels(code, source) for code in options.langs}
    today = site_today(store.site(options.site))
    files = build_files(store, options, labels, today=today)
    data = zip_bytes(files, today)
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    click.echo(
        f"{target}: {len(files.pages)} pages, {len(files.images)} images, {len(data) / 1024:.0f} KiB ({options.slug})"
    )
