"""Field bench: the real server in the conditions of a workshop room, then the database audited.

For each database (SQLite file, PostgreSQL schema): gunicorn with several sync workers
and our own redis-server on free loopback ports, then

- every client signs in from one address (the room's Wi-Fi) with the full argon2 cost;
- ``--clients`` clients for ``--seconds`` seconds read module pages, mark sections done,
  save journal entries, and a trainer records assessments; one POST in three is sent
  twice at the same instant (a double tap on a slow link);
- a third of the way in, one gunicorn worker is killed (SIGKILL); two thirds of the
  way in, redis-server is stopped;
- afterwards the database is counted: every POST that was answered with a redirect must
  have its record (lost = 0), and no record may exist twice (duplicated = 0).

Prints requests, 500s (must be 0), dropped connections (the killed worker's), lost and
duplicated records, and sign-in p50/p95.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get("PEERPATH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "a long bench password 42"  # noqa: S105 - accounts in a throwaway database
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    dropped: int = 0
    done: set = field(default_factory=set)  # (login, module, section) answered 302
    journal: set = field(default_factory=set)  # (login, module, prompt) answered 302
    assessments: set = field(default_factory=set)  # submission ids answered 302
    sign_ins: list = field(default_factory=list)

    def count(self, status: int | None) -> None:
        with self.lock:
            if status is None:
                self.dropped += 1
            else:
                self.statuses[status] += 1


class Phone:
    """One browser: its cookies and CSRF token."""

    def __init__(self, port: int, tally: Tally):
        self.port, self.tally, self.cookies, self.token = port, tally, {}, ""

    def send(self, method: str, path: str, data: dict | None = None, keep: bool = True):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode({**data, "csrf_token": self.token}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.tally.count(None)
            return None, ""
        finally:
            conn.close()
        self.tally.count(response.status)
        if keep:
            for value in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                self.cookies.update({k: m.value for k, m in jar.items() if m.value})
        if match := CSRF.search(text):
            self.token = match.group(1)
        return response.status, text

    def twice(self, path: str, data: dict) -> list[int | None]:
        """The same POST twice at the same instant."""
        barrier, results = threading.Barrier(2), [None, None]

        def run(i: int) -> None:
            barrier.wait()
            results[i] = self.send("POST", path, data, keep=False)[0]

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    def post(self, path: str, data: dict, tap_twice: bool) -> bool:
        statuses = self.twice(path, data) if tap_twice else [self.send("POST", path, data, keep=False)[0]]
        return 302 in statuses

    def sign_in(self, login: str) -> bool:
        self.send("GET", "/login")
        started = time.perf_counter()
        status, _ = self.send("POST", "/login", {"login": login, "password": PASSWORD})
        with self.tally.lock:
            self.tally.sign_ins.append(time.perf_counter() - started)
        return status == 302


def seed(database_url: str, trainees: int) -> tuple[int, int, list[tuple[str, str]], list[tuple[str, str]]]:
    """Tables, people and a cohort; returns cohort id, trainee id for assessments, sections, prompts."""
    from training import create_app
    from training.accounts.models import Role, User
    from training.accounts.passwords import hash_password
    from training.cohorts.models import Cohort, Enrolment
    from training.extensions import db
    from training.learning.reflections import prompts_of

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-" + "x" * 40,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "CURRICULUM_DIR": str(ROOT / "curriculum"),
        }
    )
    with app.app_context():
        db.create_all()
        hashed = hash_password(PASSWORD)
        trainer = User(login="trainer", name="Trainer", role=Role.TRAINER, site_id="elbtal", password_hash=hashed)
        people = [
            User(
                login=f"t{n}",
                name=f"Trainee {n}",
                role=Role.TRAINEE,
                site_id="elbtal",
                language="en",
                password_hash=hashed,
            )
            for n in range(trainees)
        ]
        cohort = Cohort(site_id="elbtal", name="Field", language="en", join_code="FIELD234")
        cohort.trainers = [trainer]
        db.session.add_all([trainer, cohort, *people])
        db.session.flush()
        db.session.add_all([Enrolment(cohort_id=cohort.id, user_id=p.id) for p in people])
        db.session.commit()
        views = app.extensions["curriculum"].modules("en", None)
        sections = [(v.slug, s) for v in views for s in v.section_ids]
        prompts = [(v.slug, p) for v in views for p, _ in prompts_of(v)]
        result = cohort.id, people[0].id, sections, prompts
        db.session.remove()
        db.engine.dispose()
    return result


def audit(database_url: str, tally: Tally) -> tuple[int, int]:
    """(lost, duplicated) records: answered 302 but missing; stored more than once."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        done = Counter(
            tuple(r)
            for r in conn.execute(
                text("SELECT u.login, p.module, p.section FROM section_progress p JOIN users u ON u.id = p.user_id")
            )
        )
        journal = Counter(
            tuple(r)
            for r in conn.execute(
                text("SELECT u.login, r.module, r.prompt FROM reflections r JOIN users u ON u.id = r.user_id")
            )
        )
        assessments = Counter(r[0] for r in conn.execute(text("SELECT submission_id FROM assessments")))
        flags = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT trainee_id, competency FROM safety_flags WHERE closed_at IS NULL "
                "GROUP BY trainee_id, competency HAVING count(*) > 1) d"
            )
        ).scalar()
    engine.dispose()
    lost = len(tally.done - set(done)) + len(tally.journal - set(journal)) + len(tally.assessments - set(assessments))
    duplicated = sum(n - 1 for c in (done, journal, assessments) for n in c.values() if n > 1) + flags
    return lost, duplicated


def run(kind: str, clients: int, seconds: float, workers: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"peerpath-bench-field-{kind}-"))
    schema = None
    if kind == "postgresql":
        from sqlalchemy import create_engine, text

        schema = f"bench_{secrets.token_hex(5)}"
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        database_url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    else:
        database_url = f"sqlite:///{workdir / 'field.db'}"
    cohort_id, assessed_id, sections, prompts = seed(database_url, clients)
    redis_port, web_port = free_port(), free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        **os.environ,
        "PEERPATH_ENV": "development",
        "SECRET_KEY": "bench-field-" + secrets.token_hex(24),
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "MANUAL_CACHE_DIR": str(workdir / "manuals"),
    }
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{web_port}", "--timeout", "60", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "gunicorn.log", "w"),  # noqa: SIM115 - closed with the process
    )
    tally = Tally()
    events: list[str] = []
    try:
        wait_for_port(redis_port)
        wait_for_port(web_port)
        phones = [Phone(web_port, tally) for _ in range(clients)]
        trainer = Phone(web_port, tally)
        # The room: everyone signs in from one address, within the first minute.
        started = time.monotonic()
        signed = [False] * clients

        def sign_in(i: int) -> None:
            signed[i] = phones[i].sign_in(f"t{i}")

        threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sign_in_seconds = time.monotonic() - started
        trainer.sign_in("trainer")
        stop = time.monotonic() + seconds
        serial = iter(range(10**9))
        serial_lock = threading.Lock()

        def next_id() -> int:
            with serial_lock:
                return next(serial)

        def trainee_loop(i: int) -> None:
            phone, rng, login = phones[i], random.Random(i), f"t{i}"
            if not signed[i]:
                return
            while time.monotonic() < stop:
                roll = rng.random()
                slug, section = rng.choice(sections)
                if roll < 0.4:
                    phone.send("GET", f"/en/modules/{slug}/")
                    continue
                tap_twice = rng.random() < 1 / 3
                if roll < 0.75:
                    if phone.post(f"/en/modules/{slug}/sections/{section}/done", {"done": "1"}, tap_twice):
                        with tally.lock:
                            tally.done.add((login, slug, section))
                else:
                    mod, prompt = rng.choice(prompts)
                    body = {"prompt": prompt, "body": f"Entry {next_id()}\nfrom the field."}
                    if phone.post(f"/en/modules/{mod}/journal", body, tap_twice):
                        with tally.lock:
                            tally.journal.add((login, mod, prompt))

        def trainer_loop() -> None:
            rng = random.Random(-1)
            url = f"/cohorts/{cohort_id}/trainees/{assessed_id}/assess?competency=B2"
            trainer.send("GET", url)
            while time.monotonic() < stop:
                submission = f"field-{next_id()}"
                form = {
                    "competency": "B2",
                    "submission_id": submission,
                    "evidence_kind": "skill",
                    "level": str(rng.choice((0, 1, 2, 3))),
                    "observed_on": "2026-11-02",
                    "action": "save",
                }
                if trainer.post(url, form, rng.random() < 1 / 3):
                    with tally.lock:
                        tally.assessments.add(submission)

        def trouble() -> None:
            time.sleep(seconds / 3)
            children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
            if children:
                os.kill(int(children[0]), signal.SIGKILL)
                events.append(f"killed worker {children[0]} at {seconds / 3:.0f} s")
            time.sleep(seconds / 3)
            redis.terminate()
            redis.wait(timeout=10)
            events.append(f"stopped redis-server at {2 * seconds / 3:.0f} s")

        workers_ = [threading.Thread(target=trainee_loop, args=(i,)) for i in range(clients)]
        workers_ += [threading.Thread(target=trainer_loop), threading.Thread(target=trouble)]
        for t in workers_:
            t.start()
        for t in workers_:
            t.join()
        lost, duplicated = audit(database_url, tally)
    finally:
        server.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=20)
        if server.poll() is None:
            server.kill()
        if redis.poll() is None:
            redis.terminate()
            redis.wait(timeout=10)
        if schema:
            from sqlalchemy import create_engine, text

            engine = create_engine(POSTGRES_URL)
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()
    errors_500 = sum(n for status, n in tally.statuses.items() if status >= 500)
    times = sorted(tally.sign_ins)
    result = {
        "database": kind,
        "requests": sum(tally.statuses.values()) + tally.dropped,
        "500s": errors_500,
        "dropped": tally.dropped,
        "lost": lost,
        "duplicated": duplicated,
        "signed_in": f"{sum(signed)}/{clients} in {sign_in_seconds:.1f} s",
        "sign_in_p50_ms": statistics.median(times) * 1000 if times else 0,
        "sign_in_p95_ms": times[max(0, int(len(times) * 0.95) - 1)] * 1000 if times else 0,
        "events": "; ".join(events),
        "statuses": dict(sorted(tally.statuses.items())),
    }
    if errors_500:
        print(f"  (gunicorn log kept in {workdir / 'gunicorn.log'})")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench field", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    print(
        f"field bench: {args.clients} clients, {args.seconds:.0f} s, gunicorn -w {args.workers}, 1 in 3 POSTs doubled"
    )
    header = f"{'database':11} {'requests':>8} {'500s':>5} {'dropped':>7} {'lost':>5} {'dup':>4} {'sign-in p50':>12} {'p95':>9}  signed in"
    rows = []
    for kind in kinds:
        r = run(kind, args.clients, args.seconds, args.workers)
        rows.append(r)
        print(f"  {kind}: {r['events']}; statuses {r['statuses']}")
    print(header)
    for r in rows:
        print(
            f"{r['database']:11} {r['requests']:8d} {r['500s']:5d} {r['dropped']:7d} {r['lost']:5d} {r['duplicated']:4d}"
            f" {r['sign_in_p50_ms']:9.0f} ms {r['sign_in_p95_ms']:6.0f} ms  {r['signed_in']}"
        )
