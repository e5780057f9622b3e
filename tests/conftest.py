"""Shared fixtures: apps, clients, a user of each role, and how tests are kept apart.

Most tests run inside a transaction that is rolled back at the end: the schema
is created once per test database, the code under test commits as usual (each
``commit()`` ends a savepoint inside the test's outer transaction), and the
next test starts from an empty database again. A test that names the
``database_url`` fixture, or carries the ``real_database`` marker, gets a fresh
database of its own with real commits instead: threads, live servers, other
processes, migrations. Each curriculum folder shipped with the repository is
parsed once per session and shared by every app. docs/testing.md explains the
design.

The database is SQLite by default. Set PEERPATH_TEST_DATABASE=postgresql to
run the same tests on the local PostgreSQL server (one schema per test
database); `make test` does both when PostgreSQL answers.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine

from training import create_app
from training.accounts.models import Role, User
from training.curriculum import CurriculumStore
from training.extensions import db, limiter

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CURRICULUM = Path(__file__).resolve().parent / "fixtures" / "curriculum"
REAL_CURRICULUM = ROOT / "curriculum"
PASSWORD = "correct horse battery"
POSTGRES_URL = os.environ.get("PEERPATH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ON_POSTGRES = os.environ.get("PEERPATH_TEST_DATABASE") == "postgresql"

# Code under test ends its work with db.session.commit(). In a rolled-back test the session is
# bound to a connection that is already in the test's transaction: "create_savepoint" makes each
# session work inside a SAVEPOINT there, so its commit() and rollback() never end the outer
# transaction. With an Engine as bind (real databases) the option changes nothing.
db.session.session_factory.configure(join_transaction_mode="create_savepoint")


# -- databases -----------------------------------------------------------------


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
    """A fresh, empty database of the test's own; apps on it commit for real."""
    if ON_POSTGRES:
        yield from _postgres_schema_url()
    else:
        yield f"sqlite:///{tmp_path / 'test.db'}"


class _SharedDatabases:
    """Databases whose schema is created once per session, each with one app kept for the session;
    tests use them inside a rolled-back transaction.

    A test normally uses the first. A second app in the same test (``app`` and ``fixture_app``
    together) gets the second, so two open transactions never wait on each other's locks.
    """

    def __init__(self, tmp_dir: Path):
        self.tmp_dir = tmp_dir
        self.apps: list[_PooledApp] = []
        self._closers: list[Iterator[str]] = []

    def app(self, index: int) -> _PooledApp:
        while len(self.apps) <= index:
            if ON_POSTGRES:
                schema = _postgres_schema_url()
                url = next(schema)
                self._closers.append(schema)
            else:
                url = f"sqlite:///{self.tmp_dir / f'shared-{len(self.apps)}.db'}"
            self.apps.append(_PooledApp(url, self.tmp_dir))
        return self.apps[index]

    def close(self) -> None:
        for pooled in self.apps:
            pooled.dispose()
        for schema in self._closers:
            next(schema, None)  # runs the schema's cleanup: DROP SCHEMA


@pytest.fixture(scope="session")
def _shared_databases(tmp_path_factory) -> Iterator[_SharedDatabases]:
    shared = _SharedDatabases(tmp_path_factory.mktemp("shared-db"))
    yield shared
    _dispose_all()
    shared.close()


# -- apps ------------------------------------------------------------------------

# Curriculum folders that no test changes: one store each for the whole session, so the
# YAML and Markdown are parsed once. Tests that change a curriculum copy it into tmp_path,
# and an app on such a copy gets a store of its own.
_READ_ONLY_CURRICULA = (REAL_CURRICULUM.resolve(), FIXTURE_CURRICULUM.resolve())
_stores: dict[Path, CurriculumStore] = {}


def shared_store(curriculum: Path) -> CurriculumStore | None:
    """The session's store for a curriculum folder shipped with the repository, else None."""
    path = Path(curriculum).resolve()
    if path not in _READ_ONLY_CURRICULA:
        return None
    if path not in _stores:
        _stores[path] = CurriculumStore(path)
    return _stores[path]


def _settings(database_url: str, tmp_path: Path, curriculum: Path, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CURRICULUM_DIR": str(curriculum),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_MEMORY_KIB": 1024,  # argon2id, cheap for tests
        "RATELIMIT_ENABLED": False,
        "MANUAL_CACHE_DIR": str(tmp_path / "manuals"),
        "SERVER_NAME": None,
        "CURRICULUM_FRESHNESS": 0,  # tests edit curriculum files and expect the next access to see it
        **extra,
    }


def _build_app(database_url: str, tmp_path: Path, curriculum: Path, **extra) -> Flask:
    app = create_app(_settings(database_url, tmp_path, curriculum, **extra))
    store = shared_store(curriculum)
    if store is not None:
        app.extensions["curriculum"] = store
    app.test_client_class = EnglishClient
    return app


def make_app(database_url: str, tmp_path: Path, curriculum: Path = REAL_CURRICULUM, **extra) -> Flask:
    """An app on a real database at ``database_url`` (tables created): commits are real and
    visible to other connections, threads and processes."""
    app = _build_app(database_url, tmp_path, curriculum, **extra)
    _apps.append(app)
    with app.app_context():
        db.create_all()
    return app


def _sqlite_savepoints(engine: Engine) -> None:
    """pysqlite begins and ends transactions on its own, which breaks SAVEPOINT; SQLAlchemy's
    documented workaround: turn that off and emit BEGIN ourselves."""

    @event.listens_for(engine, "connect")
    def no_driver_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def begin(connection):
        connection.exec_driver_sql("BEGIN")


class _PooledApp:
    """One app on a shared database, kept for the session and lent to one test at a time.

    Building an app costs more than most tests (Werkzeug compiles every URL rule), so
    rolled-back tests borrow this one: each starts with the settings and extensions the app
    had when it was built, its own tmp_path and curriculum, and a transaction of its own.
    """

    def __init__(self, database_url: str, tmp_path: Path):
        self.app = _build_app(database_url, tmp_path, REAL_CURRICULUM)
        with self.app.app_context():
            db.create_all()
            self.engine: Engine = db.engine
            db.session.remove()
        self.engine.dispose()
        if self.engine.dialect.name == "sqlite":
            _sqlite_savepoints(self.engine)
        self.config = dict(self.app.config)
        self.extensions = dict(self.app.extensions)
        self.connection: Connection | None = None
        self.outer = None

    def lend(self, tmp_path: Path, curriculum: Path) -> Flask:
        """The app as new, inside a fresh transaction on one connection that every session joins."""
        app = self.app
        app.config.clear()
        app.config.update(self.config)
        app.config.update(CURRICULUM_DIR=str(curriculum), MANUAL_CACHE_DIR=str(tmp_path / "manuals"))
        app.extensions.clear()
        app.extensions.update(self.extensions)
        app.extensions["curriculum"] = shared_store(curriculum) or CurriculumStore(curriculum)
        # Flask-Limiter keeps "enabled" on its one global object, set by the last app built:
        # say again what this app's settings say.
        limiter.enabled = app.config["RATELIMIT_ENABLED"]
        self.connection = self.engine.connect()
        self.outer = self.connection.begin()
        if self.engine.dialect.name == "postgresql":
            # Sequences are not transactional: start ids at 1 again, as in a fresh database.
            self.connection.execute(
                text(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c "
                    "WHERE c.relkind = 'S' AND c.relnamespace = to_regnamespace(current_schema())"
                )
            )
        # Flask-SQLAlchemy binds every session of this app to what its engine map holds.
        db._app_engines[app][None] = self.connection
        _lent[app] = self
        return app

    def give_back(self) -> None:
        """Roll the test's work back; the connection returns to the engine's pool for the next test."""
        with self.app.app_context():
            db.session.remove()
        db._app_engines[self.app][None] = self.engine
        if self.outer is not None and self.outer.is_active:
            self.outer.rollback()
        if self.connection is not None:
            self.connection.close()
        self.connection = self.outer = None
        _lent.pop(self.app, None)

    def dispose(self) -> None:
        self.engine.dispose()


_lent: dict[Flask, _PooledApp] = {}


def rollback_app(request: pytest.FixtureRequest, tmp_path: Path, curriculum: Path = REAL_CURRICULUM) -> Flask:
    """An app whose every change is rolled back after the test, on a database whose tables
    exist already. Its sessions share one connection: not for threads or other processes."""
    shared: _SharedDatabases = request.getfixturevalue("_shared_databases")
    app = shared.app(len(_lent)).lend(tmp_path, curriculum)
    _apps.append(app)
    return app


def wants_real_database(request: pytest.FixtureRequest) -> bool:
    """A test gets real commits when it names ``database_url`` or is marked ``real_database``."""
    return "database_url" in request.fixturenames or request.node.get_closest_marker("real_database") is not None


def app_for(request: pytest.FixtureRequest, tmp_path: Path, curriculum: Path = REAL_CURRICULUM) -> Flask:
    """The app a fixture hands out: on the test's real database, or rolled back on a shared one."""
    if wants_real_database(request):
        return make_app(request.getfixturevalue("database_url"), tmp_path, curriculum)
    return rollback_app(request, tmp_path, curriculum)


_apps: list[Flask] = []


class EnglishClient(FlaskClient):
    """A browser that prefers English, so pages without a language in the URL are in English
    unless a test says otherwise (a site's default language would apply otherwise)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


@pytest.fixture(autouse=True)
def _dispose_engines():
    """After each test: roll back test transactions and close every other pooled connection
    (psycopg warns about connections left open)."""
    yield
    _dispose_all()


def _dispose_all() -> None:
    while _apps:
        app = _apps.pop()
        lent = _lent.get(app)
        if lent is not None:
            lent.give_back()
            continue
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(request, tmp_path) -> Flask:
    """The app on the real curriculum."""
    return app_for(request, tmp_path)


@pytest.fixture
def fixture_app(request, tmp_path) -> Flask:
    """The app on the small two-language fixture curriculum (tests/fixtures/curriculum)."""
    return app_for(request, tmp_path, FIXTURE_CURRICULUM)


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
class QueryCount:
    """SQL statements sent while a ``count_queries()`` block ran."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app) -> Callable[..., contextmanager]:
    """``with count_queries() as queries: client.get(url)``, then ``queries.count``; pass another app to count its."""

    @contextmanager
    def counting(target: Flask | None = None) -> Iterator[QueryCount]:
        with (target or app).app_context():
            bind = db.engine  # the test's connection when rolled back, else the engine
        counted = QueryCount()

        def before(_conn, _cursor, statement, *_args):
            counted.statements.append(statement)

        event.listen(bind, "before_cursor_execute", before)
        try:
            yield counted
        finally:
            event.remove(bind, "before_cursor_execute", before)

    return counting


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
