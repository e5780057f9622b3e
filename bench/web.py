"""Web benchmark: what a reader on a slow phone waits for, measured in process (no network).

- module page: the same module page requested again and again (rendered HTML cached);
- first render: a module rendered from Markdown with an empty cache (what an edit costs once);
- change detection: the stat calls that pick up an edited file, per module page;
- cohort grid: the progress and competency grids for a cohort of 200 trainees;
- curriculum check: validating the whole shipped curriculum.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def report(name: str, times: list[float]) -> None:
    median = statistics.median(times) * 1000
    print(
        f"{name:44} median {median:8.2f} ms   p95 {sorted(times)[int(len(times) * 0.95) - 1] * 1000:8.2f} ms"
        f"   ({1000 / median:7.0f}/s)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench web", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args(argv)

    from datetime import UTC, date, datetime

    from training import create_app
    from training.accounts.models import Role, User
    from training.accounts.passwords import hash_password
    from training.assessments.models import Assessment
    from training.cohorts.models import Cohort, Enrolment
    from training.curriculum import CurriculumStore, check_curriculum
    from training.extensions import db
    from training.learning.models import SectionProgress

    root = Path(__file__).resolve().parent.parent
    workdir = Path(tempfile.mkdtemp(prefix="peerpath-bench-web-"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-" + "x" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'b.db'}",
            "CURRICULUM_DIR": str(root / "curriculum"),
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_MEMORY_KIB": 1024,
            "RATELIMIT_ENABLED": False,
            "MANUAL_CACHE_DIR": str(workdir / "manuals"),
        }
    )
    with app.app_context():
        db.create_all()
        hashed = hash_password("benchmark password")
        trainer = User(login="bench.trainer", name="Trainer", role=Role.TRAINER, site_id="elbtal", password_hash=hashed)
        db.session.add(trainer)
        cohort = Cohort(site_id="elbtal", name="Bench", language="de", join_code="BENCH234")
        cohort.trainers = [trainer]
        db.session.add(cohort)
        db.session.flush()
        store = app.extensions["curriculum"]
        views = store.modules("de", "elbtal")
        now = datetime.now(UTC)
        for n in range(200):
            user = User(login=f"t{n}", name=f"Trainee {n:03d}", role=Role.TRAINEE, site_id="elbtal")
            db.session.add(user)
            db.session.flush()
            db.session.add(Enrolment(cohort_id=cohort.id, user_id=user.id))
            for view in views[: n % 10]:
                for section in view.section_ids:
                    db.session.add(
                        SectionProgress(
                            user_id=user.id,
                            module=view.slug,
                            section=section,
                            language="de",
                            revision=view.revision,
                            completed_at=now,
                        )
                    )
            for k, comp in enumerate(store.framework("de").competencies[: n % 16]):
                db.session.add(
                    Assessment(
                        trainee_id=user.id,
                        assessor_id=trainer.id,
                        cohort_id=cohort.id,
                        site_id="elbtal",
                        competency=comp.id,
                        evidence_kind=comp.evidence_kinds[0],
                        level=(n + k) % 4,
                        observed_on=date(2026, 11, 1),
                        language="de",
                        content_revision="r",
                        submission_id=f"{n}-{k}",
                        created_at=now,
                    )
                )
        db.session.commit()
        cohort_id = cohort.id

    client = app.test_client()
    print(f"PeerPath web benchmark ({args.runs} runs each, in process, SQLite)")
    report("module page, anonymous (cached HTML)", timed(lambda: client.get("/de/modules/communication/"), args.runs))
    report("module index", timed(lambda: client.get("/de/"), args.runs))

    def first_render():
        fresh = CurriculumStore(root / "curriculum")
        view = fresh.module("communication", "de")
        fresh.render(view, "trainer")

    report("first render of a module (empty cache)", timed(first_render, 30))
    store = app.extensions["curriculum"]
    report(
        "change detection for one module view", timed(lambda: store.module("communication", "de", "elbtal"), args.runs)
    )
    client.post("/login", data={"login": "bench.trainer", "password": "benchmark password"})
    report("cohort progress grid, 200 trainees", timed(lambda: client.get(f"/cohorts/{cohort_id}/"), 20))
    report("cohort competency grid, 200 trainees", timed(lambda: client.get(f"/cohorts/{cohort_id}/competencies"), 20))
    report("curriculum check (all files)", timed(lambda: check_curriculum(root / "curriculum"), 5))
    html = client.get("/de/modules/communication/").get_data()
    print(
        f"{'module page size':44} {len(html) / 1024:8.1f} KiB HTML (+ {len(Path(root / 'training/static/css/site.css').read_bytes()) / 1024:.1f} KiB CSS, cached)"
    )
