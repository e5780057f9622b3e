"""Services that fail: Redis down for manual builds answers a clear page, /healthz names each dependency."""

from __future__ import annotations

import socket

import pytest

from training.extensions import db
from training.manuals.models import BuildStatus, ManualBuild
from training.models_base import utcnow

from .conftest import login, make_app
from .manuals_support import FakeRenderer, copy_curriculum
from .test_manuals_jobs import redis_url  # noqa: F401 - a private redis-server on a free port

UNAVAILABLE = "The build service is unavailable"


def _dead_redis_url() -> str:
    """A loopback port nobody listens on: what the app sees when Redis is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def manual_app(database_url, tmp_path):
    app = make_app(database_url, tmp_path, copy_curriculum(tmp_path), REDIS_URL=_dead_redis_url())
    app.extensions["manual_renderer"] = FakeRenderer()
    return app


def _ask_for_manual(client):
    return client.post("/manuals/", data={"site": "testsite", "kind": "workbook", "lang": "en", "paper": "a4"})


def test_manual_request_with_redis_down_says_try_later_and_queues_nothing(manual_app, database_url, tmp_path):
    from training.accounts.models import Role

    from .conftest import make_user

    with manual_app.app_context():
        make_user("coord.test", Role.COORDINATOR, "testsite")
        db.session.commit()
    client = manual_app.test_client()
    login(client, "coord.test")
    response = _ask_for_manual(client)
    assert response.status_code == 503
    assert UNAVAILABLE in response.get_data(as_text=True)
    with manual_app.app_context():
        assert db.session.query(ManualBuild).filter(ManualBuild.status == BuildStatus.QUEUED).count() == 0


def test_retry_with_redis_down_leaves_the_build_failed(manual_app):
    from training.accounts.models import Role

    from .conftest import make_user

    with manual_app.app_context():
        make_user("coord.test", Role.COORDINATOR, "testsite")
        now = utcnow()
        build = ManualBuild(
            cache_key="k" * 64,
            kind="workbook",
            lang="en",
            site_id="testsite",
            modules="",
            paper="a4",
            status=BuildStatus.FAILED,
            error="RuntimeError: boom",
            created_at=now,
            updated_at=now,
        )
        db.session.add(build)
        db.session.commit()
        build_id = build.id
    client = manual_app.test_client()
    login(client, "coord.test")
    response = client.post(f"/manuals/builds/{build_id}/retry", follow_redirects=True)
    assert response.status_code == 503
    assert UNAVAILABLE in response.get_data(as_text=True)
    with manual_app.app_context():
        assert db.session.get(ManualBuild, build_id).status == BuildStatus.FAILED


def test_healthz_marks_redis_down_as_degraded(manual_app):
    response = manual_app.test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["database"] == "ok" and body["redis"] == "unreachable" and body["curriculum"] == "ok"
    assert body["build_worker"] == "unknown"


def test_healthz_without_redis_does_not_mention_it(app):
    body = app.test_client().get("/healthz").get_json()
    assert body["status"] == "ok" and body["redis"] == "not configured" and body["build_worker"] == "in process"


def test_healthz_sees_rq_workers(database_url, tmp_path, redis_url):  # noqa: F811
    from redis import Redis
    from rq import Queue, Worker

    app = make_app(database_url, tmp_path, REDIS_URL=redis_url)
    body = app.test_client().get("/healthz").get_json()
    assert body["redis"] == "ok" and body["build_worker"] == "none" and body["status"] == "degraded"
    connection = Redis.from_url(redis_url)
    worker = Worker([Queue("manuals", connection=connection)], connection=connection)
    worker.register_birth()
    try:
        body = app.test_client().get("/healthz").get_json()
        assert body["build_worker"] == "ok" and body["build_workers"] == 1 and body["status"] == "ok"
    finally:
        worker.register_death()
        connection.close()


def test_healthz_broken_curriculum_is_degraded(database_url, tmp_path):
    empty = tmp_path / "empty-curriculum"
    empty.mkdir()
    body = make_app(database_url, tmp_path, empty).test_client().get("/healthz").get_json()
    assert body["curriculum"] == "error" and body["status"] == "degraded"


def test_download_of_a_pruned_manual_with_redis_down_says_try_later(manual_app):
    from training.accounts.models import Role

    from .conftest import make_user

    with manual_app.app_context():
        make_user("coord.test", Role.COORDINATOR, "testsite")
        now = utcnow()
        build = ManualBuild(
            cache_key="p" * 64,
            kind="workbook",
            lang="en",
            site_id="testsite",
            modules="",
            paper="a4",
            status=BuildStatus.DONE,
            progress=100,
            file_name="gone.pdf",
            created_at=now,
            updated_at=now,
        )
        db.session.add(build)
        db.session.commit()
        build_id = build.id
    client = manual_app.test_client()
    login(client, "coord.test")
    response = client.get(f"/manuals/builds/{build_id}/pdf")
    assert response.status_code == 503 and UNAVAILABLE in response.get_data(as_text=True)
    with manual_app.app_context():
        assert db.session.query(ManualBuild).filter(ManualBuild.status == BuildStatus.QUEUED).count() == 0
