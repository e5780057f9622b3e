"""Shared fixtures: an app on a fresh database per test, clients, a user of each role.

The database is SQLite in a temporary folder by default. Set
PEERPATH_TEST_DATABASE=postgresql to run the same tests on the local
PostgreSQL server (a fresh schema per test); `make test` does both when
PostgreSQL answers.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from training import create_app
from training.accounts.models import Role, User
from training.extensions import db

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CURRICULUM = Path(__file__).resolve().parent / "fixtures" / "curriculum"
REAL_CURRICULUM = ROOT / "curriculum"
PASSWORD = "correct horse battery"
POSTGRES_URL = os.environ.get("PEERPATH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_schema_url() -> Iterator[str]:
    schema = f"t_{secrets.token_hex(6)}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        _dispose_all()  # no open connection may hold the schema while it is dropped
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    if os.environ.get("PEERPATH_TEST_DATABASE") == "postgresql":
        yield from _postgres_schema_url()
    else:
        yield f"sqlite:///{tmp_path / 'test.db'}"


def make_app(database_url: str, tmp_path: Path, curriculum: Path = REAL_CURRICULUM, **extra):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CURRICULUM_DIR": str(curriculum),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_MEMORY_KIB": 1024,  # argon2id, cheap for tests
        "RATELIMIT_ENABLED": False,
        "MANUAL_CACHE_DIR": str(tmp_path / "manuals"),
        "SOURCE_REVISIONS_DIR": str(tmp_path / "source-revisions"),
        "SERVER_NAME": None,
        **extra,
    }
    app = create_app(config)
    app.test_client_class = EnglishClient
    with app.app_context():
        db.create_all()
    _apps.append(app)
    return app


_apps: list = []


class EnglishClient(FlaskClient):
    """A browser that prefers English, so pages without a language in the URL are in English
    unless a test says otherwise (a site's default language would apply otherwise)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


@pytest.fixture(autouse=True)
def _dispose_engines():
    """Close every pooled connection after each test (psycopg warns about connections left open)."""
    yield
    _dispose_all()


def _dispose_all() -> None:
    while _apps:
        app = _apps.pop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    return make_app(database_url, tmp_path)


@pytest.fixture
def fixture_app(database_url, tmp_path):
    """The app on the small two-language fixture curriculum (tests/fixtures/curriculum)."""
    return make_app(database_url, tmp_path, FIXTURE_CURRICULUM)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@dataclass
class People:
    """A small world: two sites, each role, one cohort per site."""

    admin: User
    coordinator: User
    trainer: User
    other_trainer: User
    trainee: User
    other_trainee: User
    foreign_coordinator: User
    foreign_trainer: User
    foreign_trainee: User
    cohort_id: int
    other_cohort_id: int
    foreign_cohort_id: int


def make_user(login: str, role: Role, site: str | None, name: str | None = None, language: str | None = None) -> User:
    from training.accounts.passwords import hash_password

    user = User(
        login=login,
        name=name or login.title(),
        role=role,
        site_id=site,
        language=language,
        password_hash=hash_password(PASSWORD),
    )
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def people(app) -> People:
    from training.cohorts.models import Cohort, Enrolment

    with app.app_context():
        admin = make_user("admin@example.org", Role.ADMIN, None)
        coordinator = make_user("coord", Role.COORDINATOR, "elbtal")
        trainer = make_user("trainer", Role.TRAINER, "elbtal")
        other_trainer = make_user("trainer2", Role.TRAINER, "elbtal")
        trainee = make_user("trainee", Role.TRAINEE, "elbtal")
        other_trainee = make_user("trainee2", Role.TRAINEE, "elbtal")
        foreign_coordinator = make_user("coord.galil", Role.COORDINATOR, "galil")
        foreign_trainer = make_user("trainer.galil", Role.TRAINER, "galil")
        foreign_trainee = make_user("trainee.galil", Role.TRAINEE, "galil")
        cohort = Cohort(site_id="elbtal", name="Elbtal A", language="de", join_code="ABCD2345")
        cohort.trainers = [trainer]
        other = Cohort(site_id="elbtal", name="Elbtal B", language="en", join_code="EFGH2345")
        other.trainers = [other_trainer]
        foreign = Cohort(site_id="galil", name="Galil A", language="he", join_code="JKMN2345")
        foreign.trainers = [foreign_trainer]
        db.session.add_all([cohort, other, foreign])
        db.session.flush()
        db.session.add_all(
            [
                Enrolment(cohort_id=cohort.id, user_id=trainee.id),
                Enrolment(cohort_id=other.id, user_id=other_trainee.id),
                Enrolment(cohort_id=foreign.id, user_id=foreign_trainee.id),
            ]
        )
        db.session.commit()
        users = [
            admin,
            coordinator,
            trainer,
            other_trainer,
            trainee,
            other_trainee,
            foreign_coordinator,
            foreign_trainer,
            foreign_trainee,
        ]
        for user in users:
            db.session.refresh(user)
            db.session.expunge(user)
        return People(*users, cohort.id, other.id, foreign.id)


def login(client, user_or_login, password: str = PASSWORD):
    name = user_or_login if isinstance(user_or_login, str) else user_or_login.login
    response = client.post("/login", data={"login": name, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no csrf token on {path}"
    return match.group(1)


def make_certificate(people: People, **fields):
    """A certificate row for the people fixture's trainee (no PDF, no achievement check)."""
    from training.assessments.models import Certificate

    values = {
        "code": "AAAA-BBBB-CCCC",
        "trainee_id": people.trainee.id,
        "site_id": "elbtal",
        "language": "de",
        "trainee_name": "T",
        "issued_by_id": people.coordinator.id,
        "trainer_id": people.trainer.id,
        "competencies": [],
        "basis": [],
        **fields,
    }
    db.session.add(Certificate(**values))
