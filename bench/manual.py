"""The manual benchmark: the full trainer manual, cold and cached, against WeasyPrint alone on the same HTML.

- raw WeasyPrint: ``HTML(string).write_pdf()`` on the manual's HTML, timed inside a fresh
  process (import excluded), with that process's peak memory;
- cold build: what the web's build worker does for an uncached manual, from options to a
  file in the cache: a fresh curriculum store (Markdown rendered from scratch), labels,
  cache key, print HTML, rendering in a spawned child process, atomic write;
- in-process build: the same without the child process (what RQ work-horses and the CLI do);
- cached: the same call when the manual is in the cache (key computed, file found).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path


def raw_weasyprint(html: str, base_url: str) -> tuple[float, float, int]:
    """(seconds, peak MB, pages) for WeasyPrint alone, in this (fresh) process."""
    import weasyprint

    from training.manuals.pdf import peak_rss_mb

    started = time.perf_counter()
    document = weasyprint.HTML(string=html, base_url=base_url).render()
    document.write_pdf()
    return time.perf_counter() - started, peak_rss_mb(), len(document.pages)


def fresh_process(function, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="en")
    parser.add_argument("--site", default=None)
    parser.add_argument("--repeat", type=int, default=2, help="cold runs of each kind (best is reported)")
    parser.add_argument("--cached-runs", type=int, default=50)
    args = parser.parse_args(argv)

    from training import create_app
    from training.curriculum import CurriculumStore
    from training.manuals.build import builder_for
    from training.manuals.isolation import InlineRenderer, ProcessRenderer
    from training.manuals.options import resolve

    workdir = Path(tempfile.mkdtemp(prefix="peerpath-bench-"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-" + "x" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "CURRICULUM_DIR": os.environ.get("CURRICULUM_DIR")
            or str(Path(__file__).resolve().parent.parent / "curriculum"),
            "MANUAL_CACHE_DIR": str(workdir / "cache"),
        }
    )
    results: dict[str, list[float]] = {"raw": [], "cold": [], "inline": []}
    peaks: dict[str, float] = {}
    with app.app_context():
        curriculum_dir = app.extensions["curriculum"].root
        options = resolve(app.extensions["curriculum"], kind="manual", lang=args.lang, site=args.site)
        print(
            f"full trainer manual: {curriculum_dir} lang={options.lang} site={options.site or '-'} paper={options.paper}"
        )

        builder = builder_for(app, InlineRenderer())
        html = builder.document(builder.prepare(options)).html
        print(f"print HTML: {len(html) / 1024:.0f} KiB")

        for _ in range(args.repeat):
            seconds, peak, pages = fresh_process(raw_weasyprint, html, curriculum_dir.as_uri() + "/")
            results["raw"].append(seconds)
            peaks["raw"] = max(peaks.get("raw", 0), peak)
        print(f"pages: {pages}")

        renderer = ProcessRenderer(max_workers=1, tasks_per_child=1)
        try:
            for _ in range(args.repeat):
                app.extensions["curriculum"] = CurriculumStore(curriculum_dir)  # nothing rendered yet
                started = time.perf_counter()
                built = builder_for(app, renderer).build(options, force=True)
                results["cold"].append(time.perf_counter() - started)
                peaks["cold"] = max(peaks.get("cold", 0), built.peak_rss_mb or 0)
        finally:
            renderer.shutdown()

        for _ in range(args.repeat):
            app.extensions["curriculum"] = CurriculumStore(curriculum_dir)
            started = time.perf_counter()
            built = builder_for(app, InlineRenderer()).build(options, force=True)
            results["inline"].append(time.perf_counter() - started)
        peaks["inline"] = built.peak_rss_mb or 0  # this process, so it includes the app and earlier runs

        app.extensions["curriculum"] = CurriculumStore(curriculum_dir)
        started = time.perf_counter()
        first_cached = builder_for(app, InlineRenderer()).build(options)
        cold_store_cached = time.perf_counter() - started
        assert first_cached.cached
        cached = []
        for _ in range(args.cached_runs):
            started = time.perf_counter()
            hit = builder_for(app, InlineRenderer()).build(options)
            cached.append(time.perf_counter() - started)
            assert hit.cached

    raw, cold, inline = min(results["raw"]), min(results["cold"]), min(results["inline"])
    print()
    print(f"{'':34}{'seconds':>9}{'× raw':>8}{'peak MB':>10}")
    print(f"{'raw WeasyPrint (same HTML)':34}{raw:9.2f}{1:8.2f}{peaks['raw']:10.0f}")
    print(f"{'cold build, child process':34}{cold:9.2f}{cold / raw:8.2f}{peaks['cold']:10.0f}")
    print(f"{'cold build, in process':34}{inline:9.2f}{inline / raw:8.2f}{peaks['inline']:10.0f}")
    print(f"{'cached (warm store), median':34}{statistics.median(cached) * 1000:8.1f}ms")
    print(f"{'cached (warm store), max':34}{max(cached) * 1000:8.1f}ms")
    print(f"{'cached (fresh store), first call':34}{cold_store_cached * 1000:8.1f}ms")
    print()
    print(
        f"target: cold ≤ 1.3 × raw: {'yes' if cold <= 1.3 * raw else 'NO'} ({cold / raw:.2f}×); "
        f"cached < 50 ms: {'yes' if statistics.median(cached) < 0.05 else 'NO'}"
    )
    print(
        f"runs: raw {[round(x, 2) for x in results['raw']]}, cold {[round(x, 2) for x in results['cold']]}, "
        f"in process {[round(x, 2) for x in results['inline']]}"
    )
