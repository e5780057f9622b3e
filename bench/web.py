"""Web benchmark: what readers and trainers wait for, in process and against a real server.

Parts (``--parts``, default all):

- ``inprocess``: the module page, module index, first render, change detection and
  curriculum check, through Flask's test client (no network);
- ``http``: side by side on loopback: gunicorn with 2 sync workers serving PeerPath
  (SQLite, generated demo-like data) and the same pages' HTML served as one Jinja
  template by a bare Flask app (``bench/bare_app.py``), loaded by wrk (2 threads x 32
  connections); each PeerPath run sits between two bare runs and is reported as a
  ratio to their mean;
- ``grids``: the cohort progress and competency grids at 200 / 1,000 / 5,000 trainees
  (server time in process, queries, HTML size);
- ``exports``: the progress, assessment and sign-off CSV exports at 1,000 trainees;
- ``signin``: 30 trainees pressing "Sign in" at the same moment against gunicorn
  (each from its own address), time until their landing page; and one sign-in in
  process beside argon2 alone.

``--app-root`` serves PeerPath from another checkout (to measure old and new back to back).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("inprocess", "http", "grids", "exports", "signin")


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * 0.95) - 1)]


def report(name: str, times: list[float]) -> None:
    median = statistics.median(times) * 1000
    print(f"{name:44} median {median:8.2f} ms   p95 {p95(times) * 1000:8.2f} ms   ({1000 / median:7.0f}/s)")


@contextmanager
def counting_queries(engine):
    """Count the SQL statements sent while the block runs."""
    from sqlalchemy import event

    count = [0]

    def before(*_args, **_kwargs):
        count[0] += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", before)


def make_app(database: Path, workdir: Path, **extra):
    from training import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-" + "x" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "CURRICULUM_DIR": str(ROOT / "curriculum"),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MANUAL_CACHE_DIR": str(workdir / "manuals"),
            **extra,
        }
    )


def signed_in_client(app, login: str):
    from .seed import PASSWORD

    client = app.test_client()
    response = client.post("/login", data={"login": login, "password": PASSWORD})
    assert response.status_code == 302, f"sign-in of {login} failed"
    return client


def part_inprocess(app, seeded, runs: int) -> None:
    from training.curriculum import CurriculumStore, check_curriculum

    client = app.test_client()
    print(f"-- in process ({runs} runs each, SQLite)")
    report("module page, anonymous (cached HTML)", timed(lambda: client.get("/de/modules/communication/"), runs))
    report("module index, anonymous", timed(lambda: client.get("/de/"), runs))
    trainee = signed_in_client(app, seeded.trainee_login)
    report("module page, signed-in trainee", timed(lambda: trainee.get("/de/modules/communication/"), runs))
    report("module index, signed-in trainee", timed(lambda: trainee.get("/de/"), runs))

    def first_render():
        fresh = CurriculumStore(ROOT / "curriculum")
        view = fresh.module("communication", "de")
        fresh.render(view, "trainer")

    report("first render of a module (empty cache)", timed(first_render, 30))
    store = app.extensions["curriculum"]
    report("change detection for one module view", timed(lambda: store.module("communication", "de", "elbtal"), runs))
    report("curriculum check (all files)", timed(lambda: check_curriculum(ROOT / "curriculum"), 3))
    html = client.get("/de/modules/communication/").get_data()
    css = len((ROOT / "training/static/css/site.css").read_bytes()) / 1024
    print(f"{'module page size':44} {len(html) / 1024:8.1f} KiB HTML (+ {css:.1f} KiB CSS, cached)")


def part_grids(app, seeded, sizes: list[int]) -> None:
    from training.extensions import db

    trainer = signed_in_client(app, seeded.trainer_login)
    print("-- cohort grids, in process (server time; queries; HTML)")
    with app.app_context():
        engine = db.engine
    for size in sizes:
        cohort = seeded.cohorts[size]
        runs = 5 if size <= 1000 else 2
        for name, path in (
            ("progress grid", f"/cohorts/{cohort}/"),
            ("competency grid", f"/cohorts/{cohort}/competencies"),
        ):
            trainer.get(path)  # warm
            with counting_queries(engine) as queries:
                body = trainer.get(path).get_data()
            times = timed(lambda p=path: trainer.get(p), runs)
            print(
                f"{name + f', {size:,} trainees':44} median {statistics.median(times) * 1000:8.1f} ms"
                f"   {queries[0]:3d} queries   {len(body) / 1024:8.0f} KiB HTML"
            )


def part_exports(app, seeded, size: int) -> None:
    from training.extensions import db

    trainer = signed_in_client(app, seeded.trainer_login)
    cohort = seeded.cohorts[size]
    print(f"-- CSV exports, {size:,} trainees, in process")
    with app.app_context():
        engine = db.engine
    for name, path in (
        ("progress CSV", f"/cohorts/{cohort}/progress.csv"),
        ("assessments CSV", f"/cohorts/{cohort}/assessments.csv"),
        ("sign-off CSV", f"/cohorts/{cohort}/signoff.csv"),
    ):
        trainer.get(path)
        with counting_queries(engine) as queries:
            body = trainer.get(path).get_data()
        times = timed(lambda p=path: trainer.get(p), 5)
        print(
            f"{name:44} median {statistics.median(times) * 1000:8.1f} ms   {queries[0]:3d} queries"
            f"   {len(body) / 1024:8.0f} KiB"
        )


def server_env(database: Path, workdir: Path) -> dict[str, str]:
    return {
        "PEERPATH_ENV": "development",
        "SECRET_KEY": "bench-" + "s" * 40,
        "DATABASE_URL": f"sqlite:///{database}",
        "CURRICULUM_DIR": str(ROOT / "curriculum"),
        "MANUAL_CACHE_DIR": str(workdir / "manuals"),
        "PROXY_COUNT": "1",  # each simulated trainee sends its own address in X-Forwarded-For
        "REDIS_URL": "",
    }


def part_http(app_root: Path, database: Path, workdir: Path, seeded, seconds: float) -> None:
    from . import served
    from .seed import PASSWORD

    if not served.have_wrk():
        print("-- side by side: skipped, wrk is not installed (scripts/system-deps.sh --test)")
        return
    pages_dir = workdir / "bare-pages"
    pages_dir.mkdir(exist_ok=True)
    cohort = seeded.cohorts[min(seeded.cohorts)]
    with served.gunicorn("app:app", app_root, server_env(database, workdir)) as base:
        trainee = served.Browser(base, "10.9.0.1")
        trainee.sign_in(seeded.trainee_login, PASSWORD)
        trainer = served.Browser(base, "10.9.0.2")
        trainer.sign_in(seeded.trainer_login, PASSWORD)
        anonymous = served.Browser(base, "10.9.0.3")
        pages = [
            ("module page, signed-in trainee", "module_trainee", "/de/modules/communication/", trainee),
            ("module page, anonymous", "module_anonymous", "/de/modules/communication/", anonymous),
            ("module index, signed-in trainee", "index_trainee", "/de/", trainee),
            (
                f"progress grid (cohort of {min(seeded.cohorts)}), trainer",
                "grid_trainer",
                f"/cohorts/{cohort}/",
                trainer,
            ),
        ]
        for _label, name, path, browser in pages:
            status, html = browser.get(path)
            assert status == 200, (path, status)
            (pages_dir / f"{name}.html").write_text("{% raw %}" + html + "{% endraw %}")
        with served.gunicorn(
            "bench.bare_app:app", ROOT, {"BARE_PAGES": str(pages_dir)}, ready_path="/module_anonymous"
        ) as bare:
            print(f"-- side by side: gunicorn 2 sync workers, wrk 2 threads x 32 connections, {seconds:g} s runs")
            print(f"{'page':44}{'PeerPath req/s':>16}{'bare req/s':>22}{'ratio':>8}")
            for label, name, path, browser in pages:
                cookie = browser.cookie_header() if browser is not anonymous else None
                served.wrk(base + path, 1, cookie)  # warm both
                served.wrk(f"{bare}/{name}", 1)
                before = served.wrk(f"{bare}/{name}", seconds)
                ours = served.wrk(base + path, seconds, cookie)
                after = served.wrk(f"{bare}/{name}", seconds)
                ratio = ours / ((before + after) / 2)
                print(f"{label:44}{ours:16.0f}{before:>11.0f} / {after:<8.0f}{ratio:8.3f}")


def part_signin(app, app_root: Path, database: Path, workdir: Path, seeded, rounds: int) -> None:
    from sqlalchemy import select

    from training.accounts.models import User
    from training.accounts.passwords import verify_password
    from training.extensions import db

    from . import served
    from .seed import PASSWORD

    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.login == seeded.trainee_login))
    argon = timed(lambda: verify_password(stored, PASSWORD), 10)
    print("-- sign-in")
    report("argon2id verify alone", argon)

    client = app.test_client()

    def one_sign_in():
        client.post("/login", data={"login": seeded.trainee_login, "password": PASSWORD}, follow_redirects=True)
        client.post("/logout")

    report("one sign-in in process, redirects followed", timed(one_sign_in, 10))
    with served.gunicorn("app:app", app_root, server_env(database, workdir)) as base:
        for n in range(rounds):
            times = served.concurrent_sign_ins(base, seeded.signin_logins, PASSWORD)
            print(
                f"{f'{len(times)} sign-ins at once, round {n + 1}':44} p50 {statistics.median(times):6.2f} s"
                f"   p95 {p95(times):6.2f} s   max {max(times):6.2f} s"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench web", description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of: {', '.join(PARTS)}")
    parser.add_argument("--runs", type=int, default=100, help="in-process runs per page")
    parser.add_argument("--sizes", default="200,1000,5000", help="cohort sizes for the grids")
    parser.add_argument("--seconds", type=float, default=5, help="length of each wrk run")
    parser.add_argument("--signin-rounds", type=int, default=2)
    parser.add_argument("--app-root", default=str(ROOT), help="the checkout gunicorn serves PeerPath from")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})

    from .seed import seed

    workdir = Path(tempfile.mkdtemp(prefix="peerpath-bench-web-"))
    database = workdir / "bench.db"
    cohort_sizes = sorted({30, 1000, *(sizes if "grids" in parts else [])})
    started = time.perf_counter()
    app = make_app(database, workdir)
    seeded = seed(app, cohort_sizes)  # real argon2 parameters: the sign-ins pay what production pays
    print(
        f"PeerPath web benchmark: cohorts of {', '.join(f'{s:,}' for s in cohort_sizes)} trainees"
        f" seeded in {time.perf_counter() - started:.1f} s ({database})"
    )
    print(f"PeerPath served from {args.app_root}, {os.cpu_count()} CPUs")
    if "inprocess" in parts:
        part_inprocess(app, seeded, args.runs)
    if "grids" in parts:
        part_grids(app, seeded, [s for s in sizes if s in seeded.cohorts])
    if "exports" in parts:
        part_exports(app, seeded, 1000)
    if "http" in parts:
        part_http(Path(args.app_root), database, workdir, seeded, args.seconds)
    if "signin" in parts:
        part_signin(app, Path(args.app_root), database, workdir, seeded, args.signin_rounds)
