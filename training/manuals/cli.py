"""``flask manuals ...``: build one manual or all of them, run an RQ worker, prune the cache."""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import as_completed
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .. import web
from ..curriculum import CurriculumStore
from ..extensions import db
from .build import BuiltManual, builder_for, cache_for
from .isolation import InlineRenderer, ProcessRenderer
from .options import KIND_FOR_AUDIENCE, PAPERS, ManualOptions, OptionsError, resolve

manuals_cli = AppGroup("manuals", help="Build printable PDF manuals.")


def _store() -> CurriculumStore:
    return web.store()


def _describe(options: ManualOptions) -> str:
    parts = [options.site or "-", options.lang, options.kind, options.paper]
    if options.modules:
        parts.append(",".join(options.modules))
    return " ".join(parts)


def _line(done: int, total: int, options: ManualOptions, built: BuiltManual, target: Path) -> str:
    how = "cached" if built.cached else f"{built.pages} pages, {built.seconds:.1f} s"
    return f"[{done}/{total}] {_describe(options)}: {target} ({how})"


def every_manual(store: CurriculumStore, paper: str) -> list[ManualOptions]:
    """Every site × offered language × audience; without sites, every curriculum language × audience."""
    sites = store.sites()
    pairs = [(s.id, lang) for s in sites.values() for lang in s.languages] or [
        (None, lang) for lang in store.meta().languages
    ]
    return [
        resolve(store, kind=kind, lang=lang, site=site, paper=paper)
        for site, lang in pairs
        for kind in KIND_FOR_AUDIENCE.values()
    ]


@manuals_cli.command("build")
@click.option("--lang", help="Language code, e.g. en, he, gu.")
@click.option("--audience", type=click.Choice(["trainee", "trainer"]), help="trainee: workbook; trainer: manual.")
@click.option("--handouts", is_flag=True, help="Only the handouts of the modules (a handout pack).")
@click.option("--site", help="Site id: its local adaptations and name are printed.")
@click.option("--modules", help="Comma-separated module slugs (default: all, in teaching order).")
@click.option("--paper", type=click.Choice(PAPERS), default="a4", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="PDF file to write.")
@click.option("--all", "build_all", is_flag=True, help="Every site × offered language × audience into --folder.")
@click.option("--folder", type=click.Path(file_okay=False), default="build/manuals", show_default=True)
@click.option("--jobs", type=int, default=0, help="Parallel renders for --all (default: all cores).")
@click.option("--force", is_flag=True, help="Render even when the cache has the manual.")
def build_command(lang, audience, handouts, site, modules, paper, output, build_all, folder, jobs, force) -> None:
    """Build one manual (--lang, --audience or --handouts, --output) or every manual (--all)."""
    if build_all:
        _build_all(Path(folder), paper, jobs or os.cpu_count() or 1, force)
        return
    if not lang or not output or not (audience or handouts):
        raise click.UsageError("give --lang, --audience (or --handouts) and --output, or --all")
    kind = "handouts" if handouts else KIND_FOR_AUDIENCE[audience]
    try:
        options = resolve(
            _store(),
            kind=kind,
            lang=lang,
            site=site,
            modules=[m.strip() for m in (modules or "").split(",") if m.strip()],
            paper=paper,
        )
    except OptionsError as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.option}") from None
    # Inline: this process exits right after, so WeasyPrint's memory goes with it.
    built = builder_for(renderer=InlineRenderer()).build(options, force=force)
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built.path, target)
    click.echo(_line(1, 1, options, built, target))
    for warning in built.warnings:
        click.echo(f"warning: {warning}", err=True)


def _build_all(folder: Path, paper: str, jobs: int, force: bool) -> None:
    """Prepare every manual here (fast), render the uncached ones in parallel child processes."""
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    renderer = ProcessRenderer(max_workers=jobs)
    builder = builder_for(renderer=renderer)
    manuals = every_manual(_store(), paper)
    total, done, failed = len(manuals), 0, 0

    def target_of(options: ManualOptions) -> Path:
        return folder / f"{options.slug}.pdf"

    pending = {}
    try:
        for options in manuals:
            prepared = builder.prepare(options)
            cached = None if force else builder.cached(prepared)
            if cached is not None:
                done += 1
                shutil.copyfile(cached, target_of(options))
                click.echo(
                    _line(done, total, options, BuiltManual(options, prepared.key, cached, True), target_of(options))
                )
                continue
            doc = builder.document(prepared)
            future = renderer.submit(doc.html, builder.roots, doc.pages_estimate)
            pending[future] = prepared
        for future in as_completed(pending):
            prepared = pending[future]
            options = prepared.options
            done += 1
            try:
                result = future.result()
            except Exception as exc:
                failed += 1
                click.echo(f"[{done}/{total}] {_describe(options)}: FAILED: {exc}", err=True)
                continue
            path = builder.cache.put(options, prepared.key, result.pdf)
            shutil.copyfile(path, target_of(options))
            built = BuiltManual(options, prepared.key, path, False, result.pages, result.seconds, result.peak_rss_mb)
            click.echo(_line(done, total, options, built, target_of(options)))
    finally:
        renderer.shutdown()
    builder.cache.prune()
    click.echo(f"{total - failed} of {total} manuals in {folder} ({time.perf_counter() - started:.1f} s)")
    if failed:
        raise SystemExit(1)


@manuals_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker for manual builds (needs REDIS_URL); each job runs in a fresh work-horse process."""
    from redis import Redis
    from rq import Queue, Worker

    from .jobs import RQ_QUEUE_NAME

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: without Redis, builds run in the web process")
    connection = Redis.from_url(url)
    # Each job runs in a forked work-horse: it must not reuse the parent's database connections.
    engine = db.engine
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    Worker([Queue(RQ_QUEUE_NAME, connection=connection)], connection=connection).work(burst=burst)


@manuals_cli.command("prune")
def prune_command() -> None:
    """Delete cached manuals unused for MANUAL_CACHE_MAX_AGE_DAYS or beyond MANUAL_CACHE_MAX_BYTES."""
    removed = cache_for(current_app).prune()
    click.echo(f"{len(removed)} file(s) removed")
