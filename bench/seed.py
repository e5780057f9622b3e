"""Benchmark data: one site with cohorts of given sizes, demo-like records, written in bulk.

Trainee n has finished the first n % 10 modules (every section), and has assessments for the
first n % 16 competencies (levels varied, a few revoked, level-0 ratings raise a flag): about
27 sections done and 7.5 assessments per trainee, as in the issue's measurements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

SITE = "elbtal"
LANG = "de"
PASSWORD = "benchmark password"  # noqa: S105 - throwaway benchmark data


@dataclass
class Seeded:
    """What the benchmarks need to find again."""

    cohorts: dict[int, int] = field(default_factory=dict)  # size -> cohort id
    trainer_login: str = "bench.trainer"
    trainee_login: str = ""  # a trainee of the smallest cohort, halfway through
    signin_logins: list[str] = field(default_factory=list)  # trainees for the concurrent sign-ins


def seed(app, sizes: list[int], signin_accounts: int = 30, hash_memory_kib: int | None = None) -> Seeded:
    """Create the tables and the records; one real argon2 hash shared by every account."""
    from training.accounts.models import Role, User
    from training.accounts.passwords import hash_password
    from training.assessments.models import Assessment, Revocation, SafetyFlag
    from training.cohorts.models import Cohort, Enrolment, cohort_trainers
    from training.extensions import db
    from training.learning.models import SectionProgress

    seeded = Seeded()
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    with app.app_context():
        if hash_memory_kib is not None:
            app.config["PASSWORD_MEMORY_KIB"] = hash_memory_kib
        db.create_all()
        hashed = hash_password(PASSWORD)
        store = app.extensions["curriculum"]
        views = store.modules(LANG, SITE)
        competencies = store.framework(LANG).competencies
        trainer = User(login=seeded.trainer_login, name="Bench Trainer", role=Role.TRAINER, site_id=SITE, language=LANG)
        trainer.password_hash = hashed
        db.session.add(trainer)
        db.session.flush()
        trainer_id = trainer.id
        next_user = trainer_id + 1
        users, enrolments, progress, assessments, revocations, flags = [], [], [], [], [], []
        serial = 0
        for size in sizes:
            cohort = Cohort(site_id=SITE, name=f"Bench {size}", language=LANG, join_code=f"BENCH{size:05d}"[:16])
            db.session.add(cohort)
            db.session.flush()
            db.session.execute(insert(cohort_trainers), [{"cohort_id": cohort.id, "user_id": trainer_id}])
            seeded.cohorts[size] = cohort.id
            for n in range(size):
                uid = next_user
                next_user += 1
                serial += 1
                login = f"b{size}.t{n:05d}"
                users.append(
                    {
                        "id": uid,
                        "login": login,
                        "name": f"Trainee {n:05d} {'Ä' if n % 7 == 0 else ''}{'x' * (n % 5)}".strip(),
                        "role": Role.TRAINEE,
                        "site_id": SITE,
                        "language": LANG,
                        "password_hash": hashed,
                        "active": True,
                        "created_at": now - timedelta(days=90),
                    }
                )
                enrolments.append({"cohort_id": cohort.id, "user_id": uid, "enrolled_at": now - timedelta(days=60)})
                if size == min(sizes) and n == 5:
                    seeded.trainee_login = login
                if size == min(sizes) and len(seeded.signin_logins) < signin_accounts:
                    seeded.signin_logins.append(login)
                for m, view in enumerate(views[: n % 10]):
                    for s, section in enumerate(view.section_ids):
                        progress.append(
                            {
                                "user_id": uid,
                                "module": view.slug,
                                "section": section,
                                "language": LANG,
                                "revision": view.revision,
                                "completed_at": now - timedelta(days=(n + 3 * m) % 50, minutes=17 * s + n % 60),
                            }
                        )
                for k, comp in enumerate(competencies[: n % 16]):
                    level = (n + k) % 4
                    aid = len(assessments) + 1
                    assessments.append(
                        {
                            "id": aid,
                            "trainee_id": uid,
                            "assessor_id": trainer_id,
                            "cohort_id": cohort.id,
                            "site_id": SITE,
                            "competency": comp.id,
                            "evidence_kind": comp.evidence_kinds[(n + k) % len(comp.evidence_kinds)],
                            "level": level,
                            "checklist": [],
                            "observed_on": date(2026, 10, 1) + timedelta(days=(n + k) % 40),
                            "note": "Beobachtet im Rollenspiel" if k % 3 == 0 else "",
                            "language": LANG,
                            "content_revision": "bench",
                            "safety_revision": "",
                            "submission_id": f"bench-{aid}",
                            "created_at": now - timedelta(days=(n + k) % 40, minutes=k),
                        }
                    )
                    if aid % 40 == 0:
                        revocations.append(
                            {
                                "assessment_id": aid,
                                "revoked_by_id": trainer_id,
                                "reason": "Falsche Person eingetragen",
                                "created_at": now - timedelta(days=1),
                            }
                        )
                    elif level == 0 and k % 2 == 0:
                        flags.append(
                            {
                                "trainee_id": uid,
                                "site_id": SITE,
                                "competency": comp.id,
                                "raised_by_assessment_id": aid,
                                "raised_at": now - timedelta(days=(n + k) % 40),
                            }
                        )
        for model, rows in (
            (User, users),
            (Enrolment, enrolments),
            (SectionProgress, progress),
            (Assessment, assessments),
            (Revocation, revocations),
            (SafetyFlag, flags),
        ):
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(model), rows[start : start + 5000])
        db.session.commit()
        assert db.session.scalar(select(User.id).where(User.login == seeded.trainee_login))
    return seeded
