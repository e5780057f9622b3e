"""``flask demo load``: sample people and records for every demo site, so every screen shows something.

All demo accounts share one documented password, DEMO_PASSWORD. Never load demo
data into a real installation: ``--if-empty`` refuses when any account exists.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from .accounts.models import Role, User
from .accounts.passwords import hash_password
from .assessments.models import Assessment, Certificate, Revocation, SafetyFlag
from .audit import record
from .cohorts.models import Attendance, Cohort, Enrolment, Workshop
from .cohorts.services import new_join_code
from .extensions import db
from .learning.models import Reflection, SectionProgress

# Earlier source revisions the demo's outdated translations were made from (Luganda "peer-role"), so
# "what changed since the translation" works where the curriculum is not a Git checkout.
DEMO_REVISIONS = Path(__file__).resolve().parent / "demo_revisions"
DEMO_PASSWORD = "peerpath-demo"  # noqa: S105 - documented demo password
demo_cli = AppGroup("demo", help="Demo data for trying PeerPath out.")


@dataclass(frozen=True)
class DemoSite:
    coordinator: tuple[str, str]
    trainers: tuple[tuple[str, str], ...]
    trainees: tuple[tuple[str, str], ...]
    cohort: str


DEMO_SITES: dict[str, DemoSite] = {
    "elbtal": DemoSite(
        ("coordinator.elbtal", "Katrin Vogel"),
        (("trainer.elbtal", "Jonas Becker"), ("miriam.elbtal", "Miriam Schulz")),
        (
            ("lena.elbtal", "Lena Hoffmann"),
            ("tobias.elbtal", "Tobias Krüger"),
            ("aylin.elbtal", "Aylin Demir"),
            ("sven.elbtal", "Sven Richter"),
            ("nadia.elbtal", "Nadia Wolff"),
            ("paul.elbtal", "Paul Schneider"),
        ),
        "Frühjahrskurs 2026",
    ),
    "pwani": DemoSite(
        ("coordinator.pwani", "Rehema Mushi"),
        (("trainer.pwani", "Baraka Mwakyusa"), ("neema.pwani", "Neema Kimaro")),
        (
            ("amani.pwani", "Amani Juma"),
            ("zawadi.pwani", "Zawadi Said"),
            ("halima.pwani", "Halima Omari"),
            ("juma.pwani", "Juma Mrisho"),
            ("upendo.pwani", "Upendo Massawe"),
            ("faraji.pwani", "Faraji Ally"),
        ),
        "Kundi la Kwanza 2026",
    ),
    "kampala-east": DemoSite(
        ("coordinator.kampala", "Grace Nakato"),
        (("trainer.kampala", "Joseph Ssempijja"), ("sarah.kampala", "Sarah Namutebi")),
        (
            ("brian.kampala", "Brian Kato"),
            ("esther.kampala", "Esther Nabirye"),
            ("ivan.kampala", "Ivan Mukasa"),
            ("ruth.kampala", "Ruth Nansubuga"),
            ("david.kampala", "David Ssali"),
            ("harriet.kampala", "Harriet Nalwoga"),
        ),
        "Kampala East Cohort 1",
    ),
    "galil": DemoSite(
        ("coordinator.galil", "נועה כהן"),
        (("trainer.galil", "יוסי לוי"), ("michal.galil", "מיכל אברהם")),
        (
            ("dani.galil", "דני מזרחי"),
            ("shira.galil", "שירה פרידמן"),
            ("avi.galil", "אבי ביטון"),
            ("rotem.galil", "רותם גולן"),
            ("yael.galil", "Yael Ben-David"),
            ("omer.galil", "עומר חדד"),
        ),
        "מחזור אביב 2026",
    ),
    "sabarmati": DemoSite(
        ("coordinator.sabarmati", "પ્રિયા પટેલ"),
        (("trainer.sabarmati", "Rakesh Shah"), ("meena.sabarmati", "મીના દેસાઈ")),
        (
            ("kiran.sabarmati", "કિરણ પરમાર"),
            ("hetal.sabarmati", "Hetal Joshi"),
            ("nilesh.sabarmati", "Nilesh Chauhan"),
            ("sonal.sabarmati", "સોનલ મહેતા"),
            ("jignesh.sabarmati", "Jignesh Rathod"),
            ("asha.sabarmati", "Asha Vaghela"),
        ),
        "સાથી બેચ 2026",
    ),
}
ADMIN = ("admin@peerpath.example", "Ada Mensah")
# How far each trainee has got, as a share of all sections: varied on purpose.
PROGRESS_SHARES = (0.95, 0.7, 0.45, 0.25, 0.1, 0.0)
REFLECTIONS = (
    "I noticed how hard it is to just listen without fixing. I want to practise staying quiet longer.",
    "Sharing a small part of my story felt scary, but the group was kind. I kept it short and on purpose.",
    "The session on boundaries made me think about my cousin who keeps asking me for money.",
)


def demo_logins() -> list[tuple[str, str, str]]:
    """(sign-in name, role, site) for the README and the start-up banner."""
    rows = [(ADMIN[0], "admin", "all sites")]
    for site_id, demo in DEMO_SITES.items():
        rows.append((demo.coordinator[0], "coordinator", site_id))
        rows.append((demo.trainers[0][0], "trainer", site_id))
        rows.append((demo.trainees[0][0], "trainee", site_id))
    return rows


def seed_source_revisions(store) -> int:
    """Keep the shipped earlier source revisions in the store's revision folder; returns how many were new."""
    if store.revisions is None:
        return 0
    written = 0
    for file in sorted(DEMO_REVISIONS.glob("*/*/*.md")):
        written += store.revisions.record(file.parent.parent.name, file.parent.name, file.read_bytes())
    return written


def load_demo(now: datetime | None = None, seed: int = 7) -> dict[str, int]:
    """Create the demo records; returns how many of each were made."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    store = current_app.extensions["curriculum"]
    seed_source_revisions(store)
    sites = store.sites()
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: argon2 is slow on purpose
    counts = {
        "users": 0,
        "cohorts": 0,
        "sections_done": 0,
        "reflections": 0,
        "workshops": 0,
        "assessments": 0,
        "certificates": 0,
    }

    def person(login: str, name: str, role: Role, site: str | None, language: str | None) -> User:
        user = User(
            login=login,
            email=login if "@" in login else None,
            name=name,
            role=role,
            site_id=site,
            language=language,
            password_hash=password_hash,
            created_at=now - timedelta(days=60),
        )
        db.session.add(user)
        counts["users"] += 1
        return user

    person(ADMIN[0], ADMIN[1], Role.ADMIN, None, "en")
    for site_id, demo in DEMO_SITES.items():
        site = sites.get(site_id)
        if site is None:
            continue
        lang = site.default_language
        person(*demo.coordinator, Role.COORDINATOR, site_id, lang)
        trainers = [person(login, name, Role.TRAINER, site_id, lang) for login, name in demo.trainers]
        trainees = [person(login, name, Role.TRAINEE, site_id, lang) for login, name in demo.trainees]
        cohort = Cohort(
            site_id=site_id,
            name=demo.cohort,
            language=lang,
            start_date=date(2026, 9, 1),
            end_date=date(2027, 2, 28),
            join_code=new_join_code(),
            created_at=now - timedelta(days=60),
        )
        cohort.trainers = trainers
        db.session.add(cohort)
        db.session.flush()
        counts["cohorts"] += 1
        record(None, "cohort.create", "cohort", cohort.id, site_id, now=now - timedelta(days=60), name=cohort.name)
        views = store.modules(lang, site)
        all_sections = [(v, s) for v in views for s in v.section_ids]
        for index, trainee in enumerate(trainees):
            db.session.add(
                Enrolment(
                    cohort_id=cohort.id,
                    user_id=trainee.id,
                    enrolled_at=now - timedelta(days=55),
                    enrolled_by_id=trainers[0].id,
                )
            )
            share = PROGRESS_SHARES[index % len(PROGRESS_SHARES)]
            done = all_sections[: round(share * len(all_sections))]
            for n, (view, section_id) in enumerate(done):
                when = (
                    now - timedelta(days=50) + timedelta(days=50 * n / max(len(done), 1), minutes=rng.randint(0, 600))
                )
                db.session.add(
                    SectionProgress(
                        user_id=trainee.id,
                        module=view.slug,
                        section=section_id,
                        completed_at=min(when, now),
                        language=view.content_lang,
                        revision=view.revision,
                    )
                )
                counts["sections_done"] += 1
            if done and index < len(REFLECTIONS):
                view = done[0][0]
                db.session.add(
                    Reflection(
                        user_id=trainee.id,
                        module=view.slug,
                        prompt="",
                        body=REFLECTIONS[index],
                        shared=index % 2 == 0,
                        created_at=now - timedelta(days=40),
                        updated_at=now - timedelta(days=40),
                    )
                )
                counts["reflections"] += 1
        db.session.flush()
        _demo_workshops(cohort, trainees, trainers[0], views, now, counts)
        _demo_assessments(store, site, cohort, trainees, trainers, sites_coordinator(site_id), now, counts)
    db.session.commit()
    return counts


def sites_coordinator(site_id: str) -> User:
    return db.session.scalar(select(User).where(User.site_id == site_id, User.role == Role.COORDINATOR))


def _demo_workshops(cohort: Cohort, trainees: list[User], trainer: User, views, now: datetime, counts) -> None:
    for n, view in enumerate(views[:4]):
        workshop = Workshop(
            cohort_id=cohort.id,
            title=view.title,
            held_on=(now - timedelta(days=49 - 14 * n)).date(),
            place="Raum 1" if cohort.language == "de" else "Room 1",
            modules=[view.slug],
            created_at=now - timedelta(days=49 - 14 * n),
        )
        db.session.add(workshop)
        db.session.flush()
        counts["workshops"] += 1
        for index, trainee in enumerate(trainees):
            if (index + n) % 5 != 4:  # most people come, not everyone every time
                db.session.add(
                    Attendance(
                        workshop_id=workshop.id,
                        user_id=trainee.id,
                        recorded_by_id=trainer.id,
                        recorded_at=now - timedelta(days=49 - 14 * n),
                    )
                )


def _demo_assessments(
    store, site, cohort: Cohort, trainees: list[User], trainers: list[User], coordinator: User, now: datetime, counts
) -> None:
    """The first trainee has achieved everything (and, at one site, holds a certificate); others vary:
    one revoked assessment, one level-0 rating with an open safety flag."""
    from .assessments.services import content_revision, safety_revision

    framework = store.framework(site.default_language)
    trainer = trainers[0]
    sequence = 0

    def assess(trainee: User, competency, kind: str, level: int, days_ago: int) -> Assessment:
        nonlocal sequence
        sequence += 1
        a = Assessment(
            trainee_id=trainee.id,
            assessor_id=trainer.id,
            cohort_id=cohort.id,
            site_id=cohort.site_id,
            competency=competency.id,
            evidence_kind=kind,
            level=level,
            observed_on=(now - timedelta(days=days_ago)).date(),
            note="",
            language=cohort.language,
            content_revision=content_revision(store, competency, cohort.language, cohort.site_id),
            safety_revision=safety_revision(store, competency, cohort.site_id),
            submission_id=f"demo-{cohort.id}-{sequence}",
            created_at=now - timedelta(days=days_ago),
        )
        db.session.add(a)
        counts["assessments"] += 1
        return a

    star = trainees[0]
    basis = []
    for n, competency in enumerate(framework.competencies):
        for kind in competency.evidence_kinds:
            basis.append(assess(star, competency, kind, 3 if n % 3 == 0 else 2, 30 - n))
    db.session.flush()
    if cohort.site_id == "elbtal":
        db.session.add(
            Certificate(
                code=f"DEMO-{cohort.id:04d}-ELBT",
                trainee_id=star.id,
                site_id=cohort.site_id,
                language=star.language or cohort.language,
                trainee_name=star.name,
                issued_at=now - timedelta(days=5),
                issued_by_id=coordinator.id,
                trainer_id=trainer.id,
                competencies=[c.id for c in framework.competencies],
                basis=[a.id for a in basis],
            )
        )
        counts["certificates"] += 1
    if len(trainees) > 2:
        second, third = trainees[1], trainees[2]
        for competency in framework.competencies[:6]:
            for kind in competency.evidence_kinds:
                assess(second, competency, kind, 2, 20)
        wrong = assess(second, framework.competencies[6], "skill", 1, 15)
        db.session.flush()
        db.session.add(
            Revocation(
                assessment_id=wrong.id,
                revoked_by_id=trainer.id,
                created_at=now - timedelta(days=14),
                reason="Recorded for the wrong trainee; re-assessed in the next workshop.",
            )
        )
        crisis = framework.get("C3")
        if crisis is not None:
            harmful = assess(third, crisis, "skill", 0, 10)
            db.session.flush()
            db.session.add(
                SafetyFlag(
                    trainee_id=third.id,
                    site_id=cohort.site_id,
                    competency=crisis.id,
                    raised_by_assessment_id=harmful.id,
                    raised_at=harmful.created_at,
                )
            )


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
def load_command(if_empty: bool) -> None:
    """Load demo sites' people, cohorts, progress and reflections."""
    if current_app.config.get("PEERPATH_ENV") == "production":
        raise click.ClickException("demo data is never loaded in production (its password is published)")
    existing = db.session.scalar(select(func.count()).select_from(User))
    if existing:
        if if_empty:
            click.echo(f"demo: the database has {existing} account(s) already; nothing loaded")
            return
        raise click.ClickException("the database is not empty; demo data is only loaded into an empty one")
    counts = load_demo()
    click.echo("demo: loaded " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))


@demo_cli.command("logins")
def logins_command() -> None:
    """Print the demo sign-in names (all with the demo password)."""
    click.echo(f"\nPeerPath is starting on http://127.0.0.1:5000 — demo password for every account: {DEMO_PASSWORD}")
    for login, role, site in demo_logins():
        click.echo(f"  {login:28} {role:12} {site}")
    click.echo("")
