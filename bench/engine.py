"""Engine benchmark: curriculum check, start-up and the engine's share of trainee pages, at 1x and 10x.

- `flask curriculum check`, whole process (a subprocess each run), on the shipped
  curriculum and on a copy ten times larger (every module copied under new slugs,
  site adaptations too);
- app start-up: `python -c "from training import create_app; create_app()"`;
- in process, warm, for a signed-in trainee (site elbtal, German): the engine calls
  behind the module index (listing, per-module section lists, progress keys) and a
  module page, the whole pages through the test client, and the curriculum files
  stat-ed per page (with a check on every request, and within the freshness window).

`--against PATH` runs the same measurements on another checkout (e.g. main) in
alternating rounds, so both columns share the same machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
LANG, SITE = "de", "elbtal"


def make_larger_copy(source: Path, target: Path, factor: int) -> Path:
    """The curriculum with every module (and its site adaptations) copied ``factor - 1`` more times."""
    shutil.copytree(source, target)
    meta = target / "curriculum.yaml"
    text = meta.read_text(encoding="utf-8")
    block = re.search(r"(?m)^modules:\n((?:  - .*\n?)+)", text)
    assert block, "curriculum.yaml: no block list of modules"
    slugs = re.findall(r"  - (\S+)", block.group(1))
    listed = list(slugs)
    for n in range(2, factor + 1):
        for slug in slugs:
            copy = f"{slug}-{n}"
            shutil.copytree(target / "modules" / slug, target / "modules" / copy)
            for site in (target / "sites").iterdir():
                if (site / "modules" / slug).is_dir():
                    shutil.copytree(site / "modules" / slug, site / "modules" / copy)
            listed.append(copy)
    new_block = "".join(f"  - {slug}\n" for slug in listed)
    meta.write_text(text[: block.start(1)] + new_block + text[block.end(1) :], encoding="utf-8")
    return target


def _env(tree: Path, curriculum: Path, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PEERPATH_", "FLASK_"))}
    env.update(
        {
            "PYTHONPATH": str(tree),
            "FLASK_APP": "app.py",
            "SECRET_KEY": "bench-" + "x" * 40,
            "DATABASE_URL": f"sqlite:///{workdir / 'start.db'}",
            "CURRICULUM_DIR": str(curriculum),
            "MANUAL_CACHE_DIR": str(workdir / "manuals"),
        }
    )
    env.pop("REDIS_URL", None)
    return env


def _timed(args: list[str], tree: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one subprocess; CPU time varies less on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(args, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def process_times(tree: Path, curricula: dict[str, Path], workdir: Path) -> dict[str, float]:
    """One round of the whole-process measurements, in seconds."""
    python = sys.executable
    runs = {
        f"flask curriculum check {label}": ([python, "-m", "flask", "curriculum", "check"], curriculum)
        for label, curriculum in curricula.items()
    }
    runs["start-up (create_app)"] = ([python, "-c", "from training import create_app; create_app()"], curricula["1x"])
    result = {}
    for name, (args, curriculum) in runs.items():
        wall, cpu = _timed(args, tree, _env(tree, curriculum, workdir))
        result[f"{name}, wall"] = wall
        result[f"{name}, CPU"] = cpu
    return result


def in_process(tree: Path, curricula: dict[str, Path], workdir: Path, runs: int) -> dict[str, float]:
    """The warm in-process measurements, run in a fresh interpreter on ``tree``'s code."""
    inner_args = ["--inner", json.dumps({k: str(v) for k, v in curricula.items()})]
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            *inner_args,
            "--page-runs",
            str(runs),
            "--workdir",
            str(workdir),
        ],
        cwd=tree,
        env={**_env(tree, curricula["1x"], workdir), "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"in-process benchmark failed on {tree}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def inner(curricula: dict[str, str], runs: int, workdir: Path) -> dict[str, float]:
    """Runs inside the subprocess: imports the checkout's own code."""
    import contextlib
    from datetime import UTC, datetime

    from training import create_app
    from training.accounts.models import Role, User
    from training.accounts.passwords import hash_password
    from training.curriculum import DEFAULT_LABELS
    from training.extensions import db
    from training.learning import progress
    from training.learning.models import SectionProgress

    results: dict[str, float] = {}
    for label, curriculum in curricula.items():
        # 0: the files are checked on every request; 60: every request falls within one window.
        for freshness in (60.0, 0.0):
            app = create_app(
                {
                    "TESTING": True,
                    "SECRET_KEY": "bench-" + "x" * 40,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / f'engine-{label}-{freshness}.db'}",
                    "CURRICULUM_DIR": curriculum,
                    "CURRICULUM_FRESHNESS": freshness,
                    "WTF_CSRF_ENABLED": False,
                    "PASSWORD_MEMORY_KIB": 1024,
                    "RATELIMIT_ENABLED": False,
                    "MANUAL_CACHE_DIR": str(workdir / "manuals"),
                }
            )
            store = app.extensions["curriculum"]
            with app.app_context():
                db.drop_all()
                db.create_all()
                trainee = User(
                    login="bench.trainee",
                    name="Trainee",
                    role=Role.TRAINEE,
                    site_id=SITE,
                    language=LANG,
                    password_hash=hash_password("benchmark password"),
                )
                db.session.add(trainee)
                db.session.flush()
                views = store.modules(LANG, SITE)
                now = datetime.now(UTC)
                for view in views[: len(views) // 2]:  # half the curriculum read
                    for section in view.section_ids:
                        db.session.add(
                            SectionProgress(
                                user_id=trainee.id,
                                module=view.slug,
                                section=section,
                                language=LANG,
                                revision=view.revision,
                                completed_at=now,
                            )
                        )
                db.session.commit()
                done = progress.done_for(trainee)
            slug = views[len(views) // 2].slug
            client = app.test_client()
            response = client.post("/login", data={"login": "bench.trainee", "password": "benchmark password"})
            assert response.status_code == 302, response.status_code
            pages = {"index": f"/{LANG}/", "module page": f"/{LANG}/modules/{slug}/"}
            for path in pages.values():
                assert client.get(path).status_code == 200, path

            counted: list[str] = []
            real_stat = os.stat
            prefix = str(Path(curriculum).resolve())

            def counting(path, *args, _real=real_stat, _prefix=prefix, _counted=counted, **kwargs):
                if str(path).startswith(_prefix):
                    _counted.append(str(path))
                return _real(path, *args, **kwargs)

            os.stat = counting
            try:
                for name, path in pages.items():
                    counted.clear()
                    client.get(path)
                    window = "checked every request" if freshness == 0 else "within the freshness window"
                    results[f"files stat-ed per {name} {label} ({window})"] = len(counted)
            finally:
                os.stat = real_stat
            if freshness == 0:
                continue

            pinned = getattr(store, "pinned", None) or contextlib.nullcontext
            site = store.site(SITE)

            def index_engine(store=store, site=site, done=done, pinned=pinned):
                with pinned():
                    views = store.modules(LANG, site)
                    store.framework(LANG)
                    progress.curriculum_progress(views, done)
                    progress.continue_point(store, LANG, site, done)

            def module_engine(store=store, site=site, done=done, pinned=pinned, slug=slug):
                with pinned():
                    view = store.module(slug, LANG, site)
                    store.render(view, "trainee", "web", DEFAULT_LABELS)
                    previous, following = store.neighbours(view)
                    store.framework(LANG)
                    progress.module_progress(view, done)
                    for other in (previous, following):
                        if other:
                            store.module(other, LANG, site)

            results[f"index, engine calls {label} (ms)"] = _median_ms(index_engine, runs)
            results[f"module page, engine calls {label} (ms)"] = _median_ms(module_engine, runs)
            for name, path in pages.items():
                results[f"{name}, whole page {label} (ms)"] = _median_ms(lambda p=path, c=client: c.get(p), runs)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench engine", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="whole-process runs per round (median)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, alternating between the checkouts")
    parser.add_argument("--page-runs", type=int, default=50, help="in-process runs per measurement")
    parser.add_argument("--scale", type=int, default=10, help="how many times larger the big copy is")
    parser.add_argument("--against", type=Path, help="another checkout (e.g. of main) to measure alongside")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.inner:
        print(json.dumps(inner(json.loads(args.inner), args.page_runs, args.workdir)))
        return

    workdir = Path(tempfile.mkdtemp(prefix="peerpath-bench-engine-"))
    try:
        curricula = {
            "1x": HERE / "curriculum",
            f"{args.scale}x": make_larger_copy(HERE / "curriculum", workdir / "large" / "curriculum", args.scale),
        }
        trees = {"this checkout": HERE}
        if args.against:
            trees = {"against": args.against.resolve(), **trees}
        samples: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
        for _round in range(args.rounds):
            for name, tree in trees.items():
                for _ in range(args.runs):
                    for key, value in process_times(tree, curricula, workdir).items():
                        samples[name].setdefault(key, []).append(value * 1000)
                for key, value in in_process(tree, curricula, workdir, args.page_runs).items():
                    samples[name].setdefault(key, []).append(value)
        print(
            f"PeerPath engine benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
            f"{args.rounds} rounds x {args.runs} process runs, {args.page_runs} in-process runs (medians)"
        )
        names = list(trees)
        if args.against:
            print(f"against: {trees['against']}")
        header = f"{'measurement':62}" + "".join(f"{n:>16}" for n in names)
        print(header)
        print("-" * len(header))
        for key in samples[names[-1]]:
            unit = "" if key.startswith("files") else " ms"
            cells = []
            for name in names:
                values = samples[name].get(key)
                cells.append(f"{statistics.median(values):>13.1f}{unit:3}" if values else f"{'-':>16}")
            label = key.replace(" (ms)", "")
            print(f"{label:62}" + "".join(cells))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if "--inner" in sys.argv:
        # Run as a script inside the checkout being measured: its own code comes first.
        sys.path.insert(0, os.getcwd())
    main(sys.argv[1:])
