"""Manual builds off the request path: request, share, run, report progress, fail, retry.

A request looks the manual up by its cache key. A cached manual is done at
once; a manual being built is shared (one row per key, so two people asking
for the same manual wait for one build); otherwise a row is queued and its
id handed to a queue:

- ``ThreadQueue`` (default): worker threads in the app process; each render
  runs in a recyclable child process (see ``isolation.py``).
- ``RQQueue`` (when ``REDIS_URL`` is set): jobs on the ``manuals`` queue of
  Redis, run by ``flask manuals worker`` on any host that sees the same
  database and cache folder. RQ forks a fresh work-horse per job, so the
  render runs inline there and its memory goes when the horse exits.
- ``SyncQueue``: runs the build inside ``submit`` (tests, scripts).

State changes are conditional updates (``WHERE status = …``), so two
workers or two requests cannot both claim or requeue the same build.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import datetime, timedelta
from typing import Protocol

from flask import Flask, current_app, has_app_context
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models_base import utcnow
from .build import builder_for
from .isolation import InlineRenderer, Renderer
from .models import BuildStatus, ManualBuild
from .options import ManualOptions

log = logging.getLogger(__name__)
RQ_QUEUE_NAME = "manuals"


class BuildQueue(Protocol):
    def submit(self, build_id: int) -> None: ...


def is_stale(build: ManualBuild, now: datetime, stale_seconds: float) -> bool:
    """Queued or running but silent for too long: no heartbeat from whoever holds it."""
    return build.active and (now - build.updated_at) > timedelta(seconds=stale_seconds)


def stale_seconds() -> float:
    """Silence after which a build counts as dead: several missed heartbeats (MANUAL_STALE_SECONDS)."""
    return float(current_app.config.get("MANUAL_STALE_SECONDS") or 30)


def heartbeat_seconds() -> float:
    """How often whoever holds a build writes ``updated_at``, even when the percentage does not move."""
    return float(current_app.config.get("MANUAL_HEARTBEAT_SECONDS") or 5)


INTERRUPTED_ERROR = "The build was interrupted (its worker process stopped); nothing was lost. Try again."


def is_dead(build: ManualBuild, now: datetime) -> bool:
    """Queued or running, but nobody will finish it: its process died, or its job is gone from the queue.

    Heartbeats (``updated_at``, every MANUAL_HEARTBEAT_SECONDS) come from the building thread or
    RQ work-horse, and from the in-process queue for the builds it holds. A build waiting in
    Redis for a worker is not dead, however long it waits; one whose job RQ has failed (its
    work-horse was killed) is dead at once.
    """
    if not build.active:
        return False
    silent = is_stale(build, now, stale_seconds())
    state = getattr(queue_for(current_app), "job_state", None)
    if state is None:
        return silent  # in-process queue: silence is the only sign (and a sure one)
    job = state(build)
    if job is None:  # Redis does not answer: only the heartbeat can tell
        return silent and build.status == BuildStatus.RUNNING
    if job in ("failed", "gone"):
        # A job is enqueued just after its row is committed: give that moment a grace period.
        return (now - build.updated_at) > timedelta(seconds=heartbeat_seconds())
    if build.status == BuildStatus.QUEUED:
        return False  # waiting in Redis for a worker: slow, not dead
    return silent


def mark_dead(build: ManualBuild, now: datetime | None = None) -> bool:
    """Record that a dead build failed, so the page stops waiting and offers a retry; False if it moved on."""
    now = now or utcnow()
    result = db.session.execute(
        update(ManualBuild)
        .where(
            ManualBuild.id == build.id,
            ManualBuild.status == build.status,
            ManualBuild.updated_at == build.updated_at,
        )
        .values(status=BuildStatus.FAILED, error=INTERRUPTED_ERROR, updated_at=now, finished_at=now)
    )
    db.session.commit()
    db.session.refresh(build)
    if result.rowcount == 1:
        log.warning("manual build %s: interrupted (no heartbeat, or its job is gone); marked failed", build.id)
    return result.rowcount == 1


def reap_dead_builds(now: datetime | None = None) -> int:
    """Mark every dead build failed (at start-up and whenever builds are listed or asked for)."""
    now = now or utcnow()
    active = list(
        db.session.scalars(select(ManualBuild).where(ManualBuild.status.in_([BuildStatus.QUEUED, BuildStatus.RUNNING])))
    )
    return sum(mark_dead(build, now) for build in active if is_dead(build, now))


PER_USER_ACTIVE = 2  # builds one person may have queued or running at once
ALL_ACTIVE = 20  # and everyone together: the queue must stay short enough to be useful


class BuildServiceUnavailable(Exception):
    """The build queue (Redis) does not answer: nothing was queued, no row was left waiting."""


UNAVAILABLE_ERROR = "The build service (Redis) did not answer; nothing was queued."


class BuildLimitReached(Exception):
    """Too many builds waiting: asking for more would only delay everyone's."""

    def __init__(self, mine: bool):
        super().__init__("per-user limit" if mine else "queue full")
        self.mine = mine


def _check_limits(user, now: datetime) -> None:
    active = list(
        db.session.scalars(select(ManualBuild).where(ManualBuild.status.in_([BuildStatus.QUEUED, BuildStatus.RUNNING])))
    )
    live = [b for b in active if not is_dead(b, now)]
    if sum(b.requested_by_id == getattr(user, "id", None) for b in live) >= PER_USER_ACTIVE:
        raise BuildLimitReached(mine=True)
    if len(live) >= ALL_ACTIVE:
        raise BuildLimitReached(mine=False)


def request_build(options: ManualOptions, user, now: datetime | None = None) -> ManualBuild:
    """The build for ``options``: done at once if cached, shared if under way, queued otherwise."""
    now = now or utcnow()
    builder = builder_for()
    prepared = builder.prepare(options)
    build = db.session.scalar(select(ManualBuild).where(ManualBuild.cache_key == prepared.key))
    cached = builder.cached(prepared)
    if cached is not None:
        if build is None:
            build = _new_row(prepared.key, options, user, now)
            db.session.add(build)
        if build.status != BuildStatus.DONE or build.file_name != cached.name:
            _mark_done(build, cached.name, cached.stat().st_size, build.pages, now)
        try:
            db.session.commit()
        except IntegrityError:  # someone else recorded it a moment ago
            db.session.rollback()
            build = db.session.scalar(select(ManualBuild).where(ManualBuild.cache_key == prepared.key))
        return build
    if build is None:
        _check_limits(user, now)
        _check_service()
        build = _new_row(prepared.key, options, user, now)
        db.session.add(build)
        try:
            db.session.commit()
        except IntegrityError:  # a concurrent request queued the same manual: share its build
            db.session.rollback()
            return db.session.scalar(select(ManualBuild).where(ManualBuild.cache_key == prepared.key))
        _submit_or_fail(build)
        return build
    if build.status == BuildStatus.FAILED:
        return build  # the page shows why, with a retry button
    if build.active and not is_dead(build, now):
        return build
    # Done but its file was pruned, or a build whose worker died: queue it again.
    _check_limits(user, now)
    _check_service()
    requeue(build, user, now)
    return build


def _new_row(key: str, options: ManualOptions, user, now: datetime) -> ManualBuild:
    return ManualBuild(
        cache_key=key,
        kind=options.kind,
        lang=options.lang,
        site_id=options.site,
        modules=",".join(options.modules),
        paper=options.paper,
        status=BuildStatus.QUEUED,
        progress=0,
        requested_by_id=getattr(user, "id", None),
        created_at=now,
        updated_at=now,
    )


def _mark_done(build: ManualBuild, file_name: str, size: int, pages: int | None, now: datetime) -> None:
    build.status = BuildStatus.DONE
    build.progress = 100
    build.error = None
    build.file_name = file_name
    build.size_bytes = size
    build.pages = pages
    build.finished_at = now
    build.updated_at = now


def requeue(build: ManualBuild, user, now: datetime | None = None) -> bool:
    """Queue a failed, interrupted or pruned build again; False if someone else just did."""
    now = now or utcnow()
    result = db.session.execute(
        update(ManualBuild)
        .where(
            ManualBuild.id == build.id,
            ManualBuild.status == build.status,
            ManualBuild.updated_at == build.updated_at,
        )
        .values(
            status=BuildStatus.QUEUED,
            progress=0,
            error=None,
            requested_by_id=getattr(user, "id", None),
            updated_at=now,
            started_at=None,
            finished_at=None,
        )
    )
    db.session.commit()
    db.session.refresh(build)
    if result.rowcount != 1:
        return False
    _submit_or_fail(build)
    return True


def _check_service() -> None:
    """Refuse before writing anything when the queue is known to be down (the usual case of an outage)."""
    check = getattr(queue_for(current_app), "check", None)
    if check is not None:
        check()


def _submit_or_fail(build: ManualBuild) -> None:
    """Hand a queued row to the queue; if the queue fails now, the row says so instead of waiting forever."""
    try:
        queue_for(current_app).submit(build.id)
    except BuildServiceUnavailable:
        db.session.rollback()
        db.session.execute(
            update(ManualBuild)
            .where(ManualBuild.id == build.id, ManualBuild.status == BuildStatus.QUEUED)
            .values(status=BuildStatus.FAILED, error=UNAVAILABLE_ERROR, updated_at=utcnow(), finished_at=utcnow())
        )
        db.session.commit()
        db.session.refresh(build)
        raise


def retry_build(build: ManualBuild, user, now: datetime | None = None) -> ManualBuild:
    """Try a failed (or interrupted) build again."""
    now = now or utcnow()
    if build.status == BuildStatus.FAILED or is_dead(build, now):
        _check_service()
        requeue(build, user, now)
    return build


def run_build(build_id: int, renderer: Renderer | None = None) -> None:
    """Claim a queued build and produce its file; record failure with the reason. Needs an app context."""
    now = utcnow()
    claimed = db.session.execute(
        update(ManualBuild)
        .where(ManualBuild.id == build_id, ManualBuild.status == BuildStatus.QUEUED)
        .values(
            status=BuildStatus.RUNNING, progress=1, started_at=now, updated_at=now, attempts=ManualBuild.attempts + 1
        )
    )
    db.session.commit()
    if claimed.rowcount != 1:
        return  # done, running elsewhere, or gone
    build = db.session.get(ManualBuild, build_id)
    assert build is not None
    reporter = _ProgressWriter(build_id)
    heartbeat = Heartbeat(db.engine, heartbeat_seconds(), [build_id])
    try:
        _build_claimed(build, reporter, renderer)
    finally:
        heartbeat.stop()


def _build_claimed(build: ManualBuild, reporter: _ProgressWriter, renderer: Renderer | None) -> None:
    build_id = build.id
    try:
        built = builder_for(renderer=renderer).build(build.options, on_progress=reporter)
    except Exception as exc:
        log.exception("manual build %s failed", build_id)
        db.session.rollback()
        db.session.execute(
            update(ManualBuild)
            .where(ManualBuild.id == build_id)
            .values(status=BuildStatus.FAILED, error=describe_error(exc), updated_at=utcnow(), finished_at=utcnow())
        )
        db.session.commit()
        return
    build = db.session.get(ManualBuild, build_id)
    assert build is not None
    _mark_done(build, built.path.name, built.path.stat().st_size, built.pages, utcnow())
    db.session.commit()
    if built.warnings:
        log.warning("manual build %s: %s", build_id, "; ".join(built.warnings[:20]))
    builder_for(renderer=renderer).cache.prune()


def describe_error(exc: BaseException) -> str:
    """What went wrong, for the person who asked (no stack trace; the log has it)."""
    text = str(exc).strip() or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"[:2000]


class _ProgressWriter:
    """Writes progress to the build row, at most every half second, so pages can show it."""

    def __init__(self, build_id: int, interval: float = 0.5):
        self.build_id = build_id
        self.interval = interval
        self.last_time = 0.0
        self.last_value = 0

    def __call__(self, percent: int) -> None:
        moment = time.monotonic()
        if percent <= self.last_value or (moment - self.last_time < self.interval and percent < 99):
            return
        self.last_time, self.last_value = moment, percent
        db.session.execute(
            update(ManualBuild)
            .where(ManualBuild.id == self.build_id, ManualBuild.status == BuildStatus.RUNNING)
            .values(progress=percent, updated_at=utcnow())
        )
        db.session.commit()


class Heartbeat:
    """A thread that touches ``updated_at`` of some builds every few seconds while they are held.

    A render can sit at one percentage for a long time (one huge table); the heartbeat says the
    process is alive all the same. When the process dies the heartbeat stops with it, and
    ``is_dead`` notices after MANUAL_STALE_SECONDS.
    """

    def __init__(self, engine, interval: float, build_ids: list[int] | None = None, *, start: bool = True):
        self.engine = engine
        self.interval = max(0.05, interval)
        self.ids: set[int] = set(build_ids or [])
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="manual-heartbeat", daemon=True)
        if start:
            self._thread.start()

    def add(self, build_id: int) -> None:
        with self._lock:
            self.ids.add(build_id)

    def discard(self, build_id: int) -> None:
        with self._lock:
            self.ids.discard(build_id)

    def beat(self) -> None:
        with self._lock:
            ids = sorted(self.ids)
        if not ids:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(ManualBuild)
                .where(ManualBuild.id.in_(ids), ManualBuild.status.in_([BuildStatus.QUEUED, BuildStatus.RUNNING]))
                .values(updated_at=utcnow())
            )

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.beat()
            except Exception:  # a busy or briefly unreachable database: the next beat tries again
                log.warning("manual builds: heartbeat failed", exc_info=True)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.interval + 5)


# -- queues -------------------------------------------------------------------


class SyncQueue:
    """Runs the build in ``submit`` itself."""

    def __init__(self, renderer: Renderer | None = None):
        self.renderer = renderer

    def submit(self, build_id: int) -> None:
        run_build(build_id, self.renderer)


class ThreadQueue:
    """Worker threads inside the app process, started on first use."""

    def __init__(self, app: Flask, workers: int = 1):
        self.app = app
        self.workers = max(1, workers)
        self._queue: queue.Queue[int] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._waiting: Heartbeat | None = None

    def submit(self, build_id: int) -> None:
        with self._lock:
            if self._waiting is None:
                # Builds waiting in this process's memory get a heartbeat too: if the process
                # dies, they are lost with it and must not look alive.
                with self.app.app_context():
                    interval = heartbeat_seconds()
                    self._waiting = Heartbeat(db.engine, interval)
            while len(self._threads) < self.workers:
                thread = threading.Thread(target=self._work, name=f"manual-builds-{len(self._threads)}", daemon=True)
                thread.start()
                self._threads.append(thread)
        self._waiting.add(build_id)
        self._queue.put(build_id)

    def _work(self) -> None:
        while True:
            build_id = self._queue.get()
            try:
                with self.app.app_context():
                    try:
                        run_build(build_id)
                    finally:
                        db.session.remove()
            except Exception:
                log.exception("manual build worker: build %s", build_id)
            finally:
                if self._waiting is not None:
                    self._waiting.discard(build_id)
                self._queue.task_done()

    def join(self, timeout: float = 120.0) -> bool:
        """Wait until every submitted build has finished (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


class RQQueue:
    """Jobs on Redis for ``flask manuals worker`` (or ``rq worker manuals`` with the app importable)."""

    def __init__(self, redis_url: str, name: str = RQ_QUEUE_NAME, job_timeout: int = 1800):
        from redis import Redis
        from rq import Queue

        # Timeouts: a Redis host that does not answer must fail a request quickly, not hang it.
        connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        self.queue = Queue(name, connection=connection)
        self.job_timeout = job_timeout

    def check(self) -> None:
        """BuildServiceUnavailable unless Redis answers."""
        from redis.exceptions import RedisError

        try:
            self.queue.connection.ping()
        except RedisError as exc:
            log.warning("manual builds: Redis does not answer: %s", exc)
            raise BuildServiceUnavailable(str(exc)) from exc

    def job_state(self, build: ManualBuild) -> str | None:
        """What RQ knows of a build's current job: waiting, running, failed, gone; None if Redis is down."""
        from redis.exceptions import RedisError
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        attempt = build.attempts - 1 if build.status == BuildStatus.RUNNING else build.attempts
        try:
            job = Job.fetch(f"manual-build-{build.id}-{max(attempt, 0)}", connection=self.queue.connection)
            status = job.get_status(refresh=False)
        except NoSuchJobError:
            return "gone"
        except RedisError:
            return None
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            return "failed"  # e.g. "work-horse terminated unexpectedly": the worker saw its horse die
        if status == JobStatus.STARTED:
            return "running"
        if status == JobStatus.FINISHED:
            return "gone"  # finished but the row is still active: the job died after all
        return "waiting"

    def submit(self, build_id: int) -> None:
        from redis.exceptions import RedisError

        attempt = db.session.scalar(select(ManualBuild.attempts).where(ManualBuild.id == build_id)) or 0
        try:
            self.queue.enqueue(
                rq_run_build,
                build_id,
                job_id=f"manual-build-{build_id}-{attempt}",
                job_timeout=self.job_timeout,
                result_ttl=3600,
                failure_ttl=86400,
            )
        except RedisError as exc:
            log.warning("manual builds: could not queue build %s: %s", build_id, exc)
            raise BuildServiceUnavailable(str(exc)) from exc


def rq_run_build(build_id: int) -> None:
    """The RQ job. Under ``flask manuals worker`` the app context is inherited; a bare ``rq worker`` makes one."""
    if has_app_context():
        run_build(build_id, InlineRenderer())
        return
    from .. import create_app

    with create_app().app_context():
        run_build(build_id, InlineRenderer())


def queue_for(app: Flask) -> BuildQueue:
    """The app's build queue: MANUAL_QUEUE (thread, rq, sync), or rq when REDIS_URL is set, else thread."""
    app = app._get_current_object() if hasattr(app, "_get_current_object") else app  # not the proxy: threads keep it
    existing = app.extensions.get("manual_queue")
    if existing is not None:
        return existing
    kind = app.config.get("MANUAL_QUEUE") or ("rq" if app.config.get("REDIS_URL") else "thread")
    made: BuildQueue
    if kind == "rq":
        made = RQQueue(app.config["REDIS_URL"], job_timeout=int(app.config.get("MANUAL_JOB_TIMEOUT") or 1800))
    elif kind == "sync":
        made = SyncQueue()
    else:
        made = ThreadQueue(app, workers=int(app.config.get("MANUAL_WORKERS") or 1))
    return app.extensions.setdefault("manual_queue", made)
