"""Interrupted manual builds: a killed worker or server is noticed within seconds, and retry works at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from training.accounts.models import Role
from training.extensions import db
from training.manuals import jobs
from training.manuals.models import BuildStatus, ManualBuild
from training.models_base import utcnow

from .conftest import REAL_CURRICULUM, login, make_app, make_user
from .manuals_support import FakeRenderer, copy_curriculum
from .test_manuals_jobs import redis_url  # noqa: F401 - a private redis-server on a free port

ROOT = Path(__file__).resolve().parent.parent
STALE, HEARTBEAT = 3.0, 0.3  # seconds: the same mechanism as 30 s / 5 s in production, faster


def _row(site: str | None, status: BuildStatus, age: timedelta, attempts: int = 1, key: str = "k") -> int:
    now = utcnow()
    build = ManualBuild(
        cache_key=key * 64,
        kind="workbook",
        lang="en",
        site_id=site,
        modules="",
        paper="a4",
        status=status,
        progress=40,
        attempts=attempts,
        created_at=now - age,
        updated_at=now - age,
        started_at=now - age,
    )
    db.session.add(build)
    db.session.commit()
    return build.id


@pytest.fixture
def thread_app(database_url, tmp_path):
    app = make_app(
        database_url,
        tmp_path,
        copy_curriculum(tmp_path),
        MANUAL_QUEUE="thread",
        MANUAL_STALE_SECONDS=STALE,
        MANUAL_HEARTBEAT_SECONDS=HEARTBEAT,
    )
    app.extensions["manual_renderer"] = FakeRenderer()
    with app.app_context():
        make_user("coord.test", Role.COORDINATOR, "testsite")
        db.session.commit()
    return app


def test_builds_of_a_dead_process_fail_at_start_and_retry_at_once(thread_app):
    """A server killed mid-build: the new process finds its rows silent and fails them on its first request."""
    with thread_app.app_context():
        dead = _row("testsite", BuildStatus.RUNNING, timedelta(minutes=5), key="d")
        waiting = _row("testsite", BuildStatus.QUEUED, timedelta(minutes=5), attempts=0, key="w")
        alive = _row("testsite", BuildStatus.RUNNING, timedelta(seconds=0), key="a")  # a sibling worker's
    client = thread_app.test_client()
    login(client, "coord.test")
    with thread_app.app_context():
        assert db.session.get(ManualBuild, dead).status == BuildStatus.FAILED
        assert db.session.get(ManualBuild, dead).error == jobs.INTERRUPTED_ERROR
        assert db.session.get(ManualBuild, waiting).status == BuildStatus.FAILED
        assert db.session.get(ManualBuild, alive).status == BuildStatus.RUNNING
    page = client.get(f"/manuals/builds/{dead}/")
    assert "Refresh" not in page.headers
    assert "stopped without finishing" in page.get_data(as_text=True)
    assert client.post(f"/manuals/builds/{dead}/retry").status_code == 302
    assert jobs.queue_for(thread_app).join(timeout=60)
    with thread_app.app_context():
        assert db.session.get(ManualBuild, dead).status == BuildStatus.DONE


def test_a_build_silent_for_the_limit_is_failed_by_its_status_page(thread_app):
    with thread_app.app_context():
        build_id = _row("testsite", BuildStatus.RUNNING, timedelta(seconds=0))
    client = thread_app.test_client()
    login(client, "coord.test")
    assert "Refresh" in client.get(f"/manuals/builds/{build_id}/").headers  # alive: the page waits
    with thread_app.app_context():
        build = db.session.get(ManualBuild, build_id)
        build.updated_at = utcnow() - timedelta(seconds=STALE + 1)  # its heartbeat stopped
        db.session.commit()
    page = client.get(f"/manuals/builds/{build_id}/")
    assert "Refresh" not in page.headers and "Try again" in page.get_data(as_text=True)
    with thread_app.app_context():
        assert db.session.get(ManualBuild, build_id).status == BuildStatus.FAILED


def test_heartbeat_keeps_a_build_alive_while_its_percentage_stands_still(thread_app):
    with thread_app.app_context():
        build_id = _row("testsite", BuildStatus.RUNNING, timedelta(seconds=STALE * 2))
        heartbeat = jobs.Heartbeat(db.engine, HEARTBEAT, [build_id])
        try:
            time.sleep(HEARTBEAT * 4)
            db.session.expire_all()
            build = db.session.get(ManualBuild, build_id)
            assert build.progress == 40 and not jobs.is_dead(build, utcnow())
        finally:
            heartbeat.stop()
        time.sleep(STALE + HEARTBEAT)
        db.session.expire_all()
        assert jobs.is_dead(db.session.get(ManualBuild, build_id), utcnow())


# -- a real RQ worker, killed ------------------------------------------------------------------


def _worker(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "manuals", "worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def rq_setup(database_url, tmp_path, redis_url):  # noqa: F811
    app = make_app(
        database_url,
        tmp_path,
        REAL_CURRICULUM,
        REDIS_URL=redis_url,
        MANUAL_STALE_SECONDS=STALE,
        MANUAL_HEARTBEAT_SECONDS=HEARTBEAT,
    )
    with app.app_context():
        make_user("admin.test", Role.ADMIN, None)
        db.session.commit()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PEERPATH_"))},
        "FLASK_APP": "app.py",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CURRICULUM_DIR": str(REAL_CURRICULUM),
        "MANUAL_CACHE_DIR": app.config["MANUAL_CACHE_DIR"],
        "SECRET_KEY": "worker-secret-" + "x" * 32,
        "MANUAL_HEARTBEAT_SECONDS": str(HEARTBEAT),
    }
    workers: list[subprocess.Popen] = []
    yield app, env, workers
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def _start_build(app, client) -> int:
    response = client.post("/manuals/", data={"site": "", "kind": "manual", "lang": "en", "paper": "a4"})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _status(app, build_id: int) -> ManualBuild:
    with app.app_context():
        build = db.session.get(ManualBuild, build_id)
        db.session.expunge(build)
        return build


@pytest.mark.slow
@pytest.mark.parametrize("kill", ["worker and work-horse", "work-horse only"])
def test_rq_worker_killed_mid_build_is_noticed_and_retried(rq_setup, kill):
    app, env, workers = rq_setup
    client = app.test_client()
    login(client, "admin.test")
    build_id = _start_build(app, client)
    assert _status(app, build_id).status == BuildStatus.QUEUED
    assert "Refresh" in client.get(f"/manuals/builds/{build_id}/").headers  # waiting for a worker is not dead
    workers.append(_worker(env))
    _wait_for(lambda: _status(app, build_id).status == BuildStatus.RUNNING, 120, "the worker to claim the build")
    horse = _wait_for(lambda: _children(workers[0].pid), 30, "the work-horse")[0]
    os.kill(horse, signal.SIGKILL)
    if kill == "worker and work-horse":
        os.killpg(workers[0].pid, signal.SIGKILL)
    killed_at = time.monotonic()

    def noticed():
        page = client.get(f"/manuals/builds/{build_id}/")
        return "Refresh" not in page.headers and "Try again" in page.get_data(as_text=True)

    _wait_for(noticed, STALE * 4, "the status page to notice the dead build")
    print(f"{kill}: noticed after {time.monotonic() - killed_at:.1f} s (limit {STALE} s)")
    assert _status(app, build_id).status == BuildStatus.FAILED
    assert client.post(f"/manuals/builds/{build_id}/retry").status_code == 302
    assert _status(app, build_id).status == BuildStatus.QUEUED
    if kill == "worker and work-horse":
        workers.append(_worker(env, "--burst"))
    _wait_for(lambda: _status(app, build_id).status == BuildStatus.DONE, 300, "the retried build to finish")


# -- a real server in thread mode, killed ------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Browser:
    """Cookies and CSRF tokens over real HTTP, like a phone would."""

    def __init__(self, base: str):
        import http.cookiejar
        import urllib.request

        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str):
        import urllib.error

        try:
            response = self.opener.open(self.base + path, timeout=30)
        except urllib.error.HTTPError as exc:
            response = exc
        return response.geturl(), dict(response.headers), response.read().decode()

    def post(self, path: str, form_page: str, data: dict[str, str]):
        import re
        import urllib.parse

        _, _, html = self.get(form_page)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        body = urllib.parse.urlencode({**data, "csrf_token": token}).encode()
        response = self.opener.open(self.base + path, data=body, timeout=60)
        return response.geturl(), response.read().decode()


def _server(env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "4", "-b", f"127.0.0.1:{port}", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its render child processes die with it below
    )
    browser = _Browser(f"http://127.0.0.1:{port}")

    def up():
        try:
            return browser.get("/healthz")[2]
        except OSError:
            return None

    _wait_for(up, 60, "the server to start")
    return server


@pytest.mark.slow
def test_server_killed_mid_build_in_thread_mode(database_url, tmp_path):
    from .conftest import PASSWORD

    app = make_app(database_url, tmp_path, REAL_CURRICULUM)
    with app.app_context():
        make_user("admin.test", Role.ADMIN, None)
        db.session.commit()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PEERPATH_", "REDIS"))},
        "DATABASE_URL": database_url,
        "CURRICULUM_DIR": str(REAL_CURRICULUM),
        "MANUAL_CACHE_DIR": app.config["MANUAL_CACHE_DIR"],
        "SECRET_KEY": "server-secret-" + "x" * 32,
        "MANUAL_STALE_SECONDS": str(STALE),
        "MANUAL_HEARTBEAT_SECONDS": str(HEARTBEAT),
    }
    port = _free_port()
    servers = [_server(env, port)]
    try:
        browser = _Browser(f"http://127.0.0.1:{port}")
        browser.post("/login", "/login", {"login": "admin.test", "password": PASSWORD})
        url, _ = browser.post("/manuals/", "/manuals/", {"site": "", "kind": "manual", "lang": "en", "paper": "a4"})
        build_id = int(url.rstrip("/").split("/")[-1])
        _wait_for(lambda: _status(app, build_id).status == BuildStatus.RUNNING, 60, "the build to start")
        os.killpg(servers[0].pid, signal.SIGKILL)  # the whole server, mid-build
        servers[0].wait(timeout=10)
        killed_at = time.monotonic()
        servers.append(_server(env, port))

        def noticed():
            _, headers, html = browser.get(f"/manuals/builds/{build_id}/")
            return "Refresh" not in headers and "Try again" in html

        _wait_for(noticed, STALE * 4 + 10, "the restarted server to notice the dead build")
        print(f"thread mode: noticed {time.monotonic() - killed_at:.1f} s after the kill (limit {STALE} s)")
        assert _status(app, build_id).status == BuildStatus.FAILED
        browser.post(f"/manuals/builds/{build_id}/retry", f"/manuals/builds/{build_id}/", {})
        _wait_for(lambda: _status(app, build_id).status == BuildStatus.DONE, 300, "the retried build to finish")
    finally:
        for server in servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
