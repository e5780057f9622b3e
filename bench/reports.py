"""Reports benchmark: the cohort competency matrix for 1,000 trainees (page, CSV, .xlsx).

Target: under 300 ms server time for the page. In process, SQLite; every trainee has two
assessments of every competency (a first and a later one) and one in twenty is revoked.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from .web import report, timed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench reports", description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)

    from sqlalchemy import insert

    from training import create_app
    from training.accounts.models import Role, User
    from training.accounts.passwords import hash_password
    from training.assessments.models import Assessment, Revocation
    from training.cohorts.models import Cohort, Enrolment
    from training.extensions import db

    root = Path(__file__).resolve().parent.parent
    workdir = Path(tempfile.mkdtemp(prefix="peerpath-bench-reports-"))
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
    now = datetime.now(UTC)
    with app.app_context():
        db.create_all()
        trainer = User(
            login="bench.trainer",
            name="Trainer",
            role=Role.TRAINER,
            site_id="elbtal",
            password_hash=hash_password("benchmark password"),
        )
        cohort = Cohort(site_id="elbtal", name="Bench", language="de", join_code="BENCH234")
        cohort.trainers = [trainer]
        db.session.add(cohort)
        db.session.flush()
        users = [
            {"login": f"t{n}", "name": f"Trainee {n:04d}", "role": Role.TRAINEE, "site_id": "elbtal"}
            for n in range(args.trainees)
        ]
        db.session.execute(insert(User), users)
        ids = list(db.session.scalars(db.select(User.id).where(User.role == Role.TRAINEE)))
        db.session.execute(insert(Enrolment), [{"cohort_id": cohort.id, "user_id": i} for i in ids])
        competencies = app.extensions["curriculum"].framework("de").competencies
        rows = []
        for n, trainee_id in enumerate(ids):
            for k, comp in enumerate(competencies):
                for day, level in ((1, (n + k) % 3), (20, (n + k + 1) % 4)):
                    rows.append(
                        {
                            "trainee_id": trainee_id,
                            "assessor_id": trainer.id,
                            "cohort_id": cohort.id,
                            "site_id": "elbtal",
                            "competency": comp.id,
                            "evidence_kind": comp.evidence_kinds[0],
                            "level": level,
                            "observed_on": date(2026, 10, day),
                            "language": "de",
                            "content_revision": "r",
                            "submission_id": f"{trainee_id}-{comp.id}-{day}",
                            "created_at": now,
                        }
                    )
        db.session.execute(insert(Assessment), rows)
        revoked = list(db.session.scalars(db.select(Assessment.id).where(Assessment.id % 20 == 0)))
        db.session.execute(
            insert(Revocation),
            [{"assessment_id": a, "revoked_by_id": trainer.id, "reason": "bench", "created_at": now} for a in revoked],
        )
        db.session.commit()
        cohort_id = cohort.id
        count = len(rows)

    client = app.test_client()
    client.post("/login", data={"login": "bench.trainer", "password": "benchmark password"})
    print(f"PeerPath reports benchmark ({args.trainees} trainees, {count} assessments, SQLite, in process)")
    for suffix, name in (("", "page"), (".csv", "CSV"), (".xlsx", ".xlsx")):
        url = f"/cohorts/{cohort_id}/report{suffix}"
        assert client.get(url).status_code == 200
        report(f"cohort matrix {name}, {args.trainees} trainees", timed(lambda url=url: client.get(url), args.runs))


if __name__ == "__main__":
    main()
