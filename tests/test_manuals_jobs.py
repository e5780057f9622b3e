"""Build jobs: cached at once, shared while running, progress, failure with a reason, retry, queues."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest

from training.extensions import db
from training.manuals import jobs
from training.manuals.isolation import InlineRenderer, ProcessRenderer
from training.manuals.models import BuildStatus, ManualBuild
from training.manuals.options import resolve
from training.models_base import utcnow

from .conftest import app_for
from .manuals_support import FakeRenderer, copy_curriculum, reader


class RecordingQueue:
    def __init__(self):
        self.submitted: list[int] = []

    def submit(self, build_id: int) -> None:
        self.submitted.append(build_id)


@pytest.fixture
def app(request, tmp_path):
    """The app on a private curriculum copy; rolled back unless the test needs real commits."""
    app = app_for(request, tmp_path, copy_curriculum(tmp_path))
    app.extensions["manual_renderer"] = FakeRenderer()
    with app.app_context():
        yield app


@pytest.fixture
def queue(app):
    recording = RecordingQueue()
    app.extensions["manual_queue"] = recording
    return recording


@pytest.fixture
def options(app):
    return resolve(app.extensions["curriculum"], kind="workbook", lang="en", site="testsite")


def test_two_requests_for_the_same_manual_share_one_build(app, queue, options):
    first = jobs.request_build(options, None)
    second = jobs.request_build(options, None)
    assert first.id == second.id and first.status == BuildStatus.QUEUED
    assert queue.submitted == [first.id]
    assert db.session.query(ManualBuild).count() == 1


def test_a_queued_build_runs_reports_progress_and_is_done(app, queue, options):
    build = jobs.request_build(options, None)
    seen = []
    original = jobs._ProgressWriter.__call__

    def spy(self, percent):
        original(self, percent)
        seen.append(db.session.get(ManualBuild, build.id).progress)

    jobs._ProgressWriter.__call__ = spy
    try:
        jobs.run_build(build.id)
    finally:
        jobs._ProgressWriter.__call__ = original
    done = db.session.get(ManualBuild, build.id)
    assert done.status == BuildStatus.DONE and done.progress == 100 and done.pages == 3
    assert done.attempts == 1 and done.started_at and done.finished_at and done.error is None
    assert (app.config["MANUAL_CACHE_DIR"] + "/" + done.file_name).endswith(".pdf")
    assert seen and seen == sorted(seen) and 0 < seen[0] < 100


def test_a_cached_manual_is_done_at_once_without_a_job(app, queue, options):
    build = jobs.request_build(options, None)
    jobs.run_build(build.id)
    renderer = app.extensions["manual_renderer"]
    assert renderer.calls == 1
    again = jobs.request_build(options, None)
    assert again.id == build.id and again.status == BuildStatus.DONE
    assert queue.submitted == [build.id] and renderer.calls == 1


def test_a_manual_cached_elsewhere_gets_a_done_row(app, queue, options):
    from training.manuals.build import builder_for

    builder_for(app).build(options)  # e.g. by the CLI
    build = jobs.request_build(options, None)
    assert build.status == BuildStatus.DONE and build.file_name and queue.submitted == []


def test_changed_content_gives_a_new_build(app, queue, options):
    first = jobs.request_build(options, None)
    jobs.run_build(first.id)
    root = app.extensions["curriculum"].root
    path = root / "modules" / "basics" / "en.md"
    stamp = path.stat().st_mtime_ns
    path.write_text(path.read_text().replace("Peers listen.", "Peers listen well."))
    import os

    os.utime(path, ns=(stamp + 10**7, stamp + 10**7))
    second = jobs.request_build(options, None)
    assert second.id != first.id and second.status == BuildStatus.QUEUED


def test_a_failed_build_says_why_and_can_be_retried(app, queue, options):
    app.extensions["manual_renderer"] = FakeRenderer(fail=RuntimeError("font server on fire"))
    build = jobs.request_build(options, None)
    jobs.run_build(build.id)
    failed = db.session.get(ManualBuild, build.id)
    assert failed.status == BuildStatus.FAILED
    assert failed.error == "RuntimeError: font server on fire"
    # Asking again shows the failure rather than silently queueing the same failure again.
    assert jobs.request_build(options, None).status == BuildStatus.FAILED
    app.extensions["manual_renderer"] = FakeRenderer()
    jobs.retry_build(failed, None)
    assert failed.status == BuildStatus.QUEUED and failed.error is None
    assert queue.submitted == [build.id, build.id]
    jobs.run_build(build.id)
    assert db.session.get(ManualBuild, build.id).status == BuildStatus.DONE
    assert db.session.get(ManualBuild, build.id).attempts == 2


def test_a_build_is_claimed_once(app, queue, options):
    build = jobs.request_build(options, None)
    jobs.run_build(build.id)
    jobs.run_build(build.id)  # a second worker with the same id does nothing
    assert app.extensions["manual_renderer"].calls == 1


def test_an_interrupted_build_is_queued_again_when_asked_for(app, queue, options):
    build = jobs.request_build(options, None)
    build.status = BuildStatus.RUNNING
    build.updated_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    again = jobs.request_build(options, None)
    assert again.id == build.id and again.status == BuildStatus.QUEUED
    assert queue.submitted == [build.id, build.id]


def test_a_pruned_file_is_built_again(app, queue, options):
    build = jobs.request_build(options, None)
    jobs.run_build(build.id)
    shutil.rmtree(app.config["MANUAL_CACHE_DIR"])
    again = jobs.request_build(options, None)
    assert again.id == build.id and again.status == BuildStatus.QUEUED


@pytest.mark.real_database  # the build runs in a worker thread with its own connection
def test_thread_queue_builds_in_the_background(app, options):
    app.config["MANUAL_QUEUE"] = "thread"
    app.extensions.pop("manual_queue", None)
    build = jobs.request_build(options, None)
    worker = jobs.queue_for(app)
    assert isinstance(worker, jobs.ThreadQueue)
    assert worker.join(timeout=30)
    db.session.expire_all()
    assert db.session.get(ManualBuild, build.id).status == BuildStatus.DONE


@pytest.mark.slow
def test_process_renderer_renders_in_a_child_and_reports_progress(app, options):
    from training.manuals.build import builder_for

    renderer = ProcessRenderer(max_workers=1, tasks_per_child=1, poll_seconds=0.05)
    progress: list[int] = []
    try:
        built = builder_for(app, renderer).build(options, on_progress=progress.append, force=True)
    finally:
        renderer.shutdown()
    assert not built.cached and built.pages and built.pages > 3
    assert len(reader(built.path).pages) == built.pages
    assert progress and progress == sorted(progress) and progress[-1] <= 99


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    from redis import Redis

    client = Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except Exception:
            time.sleep(0.05)
    yield url
    client.close()
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.real_database  # what an RQ worker process sees: committed rows only
def test_rq_queue_runs_builds_on_a_worker(app, options, redis_url):
    from rq import SimpleWorker

    app.config["REDIS_URL"] = redis_url
    app.config["MANUAL_QUEUE"] = None
    app.extensions.pop("manual_queue", None)
    app.extensions["manual_renderer"] = InlineRenderer()
    queue = jobs.queue_for(app)
    assert isinstance(queue, jobs.RQQueue)
    build = jobs.request_build(options, None)
    assert queue.queue.count == 1
    # What `flask manuals worker` runs, without forking, in this app context.
    SimpleWorker([queue.queue], connection=queue.queue.connection).work(burst=True)
    db.session.expire_all()
    done = db.session.get(ManualBuild, build.id)
    assert done.status == BuildStatus.DONE, done.error
    queue.queue.connection.close()
