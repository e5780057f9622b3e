"""A real HTTP server on a free loopback port, and clients that fire identical requests at once.

Used where concurrency matters (double taps, one-time links, sign-in limits, replayed
cookies): the Flask test client runs one request at a time and cannot show races.
The harness builds its own app and database (a SQLite file, or a fresh PostgreSQL
schema) so it does not depend on shared fixtures.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from training import create_app
from training.extensions import db

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("PEERPATH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test; dropped afterwards."""
    schema = f"live_{secrets.token_hex(6)}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@contextlib.contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A database URL of the given kind ('sqlite' or 'postgresql')."""
    if kind == "postgresql":
        with postgres_schema() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'live.db'}"


def build_app(database_url: str, tmp_path: Path, **extra):
    """The real app on the given database, tables created; CSRF off so clients post plain forms."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "live-secret-key-" + "x" * 32,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CURRICULUM_DIR": str(ROOT / "curriculum"),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_MEMORY_KIB": 1024,
        "MANUAL_CACHE_DIR": str(tmp_path / "manuals"),
        **extra,
    }
    app = create_app(config)
    with app.app_context():
        db.create_all()
    return app


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextlib.contextmanager
def live_server(app) -> Iterator[str]:
    """Serve the app with a threaded werkzeug server on 127.0.0.1:<free port>; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        dispose(app)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    cookies: dict[str, str]

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


def request(
    base: str,
    method: str,
    path: str,
    data: dict | list | None = None,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One HTTP request on a new connection; redirects are not followed."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    send = {"Accept-Language": "en", **(headers or {})}
    body = None
    if data is not None:
        body = urlencode(data, doseq=True)
        send["Content-Type"] = "application/x-www-form-urlencoded"
    if cookies:
        send["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    try:
        conn.request(method, path, body=body, headers=send)
        response = conn.getresponse()
        text_ = response.read().decode("utf-8", "replace")
        got: dict[str, str] = {}
        for value in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(value)
            got.update({k: m.value for k, m in jar.items()})
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, text_, got)
    finally:
        conn.close()


@dataclass
class Browser:
    """A client that keeps cookies between requests (like one phone)."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def go(self, method: str, path: str, data=None, headers=None) -> Answer:
        answer = request(self.base, method, path, data, dict(self.cookies), headers)
        for name, value in answer.cookies.items():
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return answer

    def get(self, path: str, **kw) -> Answer:
        return self.go("GET", path, **kw)

    def post(self, path: str, data=None, **kw) -> Answer:
        return self.go("POST", path, data or {}, **kw)

    def sign_in(self, login: str, password: str, remember: bool = False) -> Answer:
        data = {"login": login, "password": password}
        if remember:
            data["remember"] = "y"
        return self.post("/login", data)


def at_once(calls: list[Callable[[], Answer]]) -> list[Answer]:
    """Run the calls in threads released by one barrier, so they reach the server together."""
    barrier = threading.Barrier(len(calls))
    results: list[Answer | BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results  # type: ignore[return-value]


def double_tap(browser: Browser, path: str, data: dict | list) -> tuple[Answer, Answer]:
    """The same POST with the same cookies, twice at the same instant."""
    cookies = dict(browser.cookies)
    a, b = at_once([lambda: request(browser.base, "POST", path, data, cookies)] * 2)
    return a, b


def csrf_token(html: str) -> str | None:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else None


PASSWORD = "correct horse battery"


@dataclass
class World:
    """A site with a cohort, its trainer and trainees (trainee logins: trainee0 .. traineeN-1)."""

    trainer_id: int
    trainee_ids: list[int]
    cohort_id: int
    coordinator_id: int


def seed(app, trainees: int = 1, site: str = "elbtal") -> World:
    """People for a live test: one coordinator, one trainer, a cohort and ``trainees`` trainees."""
    from training.accounts.models import Role, User
    from training.accounts.passwords import hash_password
    from training.cohorts.models import Cohort, Enrolment

    with app.app_context():
        hashed = hash_password(PASSWORD)

        def user(login: str, role: Role) -> User:
            person = User(login=login, name=login.title(), role=role, site_id=site, language="en", password_hash=hashed)
            db.session.add(person)
            return person

        coordinator = user("coord", Role.COORDINATOR)
        trainer = user("trainer", Role.TRAINER)
        people = [user(f"trainee{i}", Role.TRAINEE) for i in range(trainees)]
        cohort = Cohort(site_id=site, name="Live A", language="en", join_code="LIVE2345")
        cohort.trainers = [trainer]
        db.session.add(cohort)
        db.session.flush()
        db.session.add_all([Enrolment(cohort_id=cohort.id, user_id=p.id) for p in people])
        db.session.commit()
        return World(trainer.id, [p.id for p in people], cohort.id, coordinator.id)
