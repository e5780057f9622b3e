"""GET /healthz: each dependency as JSON; 503 only when the database is down.

| key | values | effect on status |
|---|---|---|
| database | ok / unreachable | unreachable: 503, status "error" (nothing works without it) |
| redis | ok / unreachable / not configured | unreachable: "degraded" (limits fall back per process, manual builds wait) |
| curriculum | ok / error | error: "degraded" (pages and manuals need it) |
| build_worker | ok / none / unknown / in process | none or unknown with Redis: "degraded" (manual builds wait) |

A degraded site still answers 200, so a load balancer keeps sending the people who can be
served; monitoring alerts on ``status != "ok"``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)
REDIS_TIMEOUT_SECONDS = 1.0


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        current_app.logger.error("health check: database unreachable: %s", exc)
        return "unreachable"
    finally:
        db.session.remove()
    return "ok"


def _curriculum() -> dict[str, Any]:
    try:
        meta = current_app.extensions["curriculum"].meta()
    except Exception as exc:  # a broken file must not break the health check itself
        current_app.logger.error("health check: curriculum: %s", exc)
        return {"curriculum": "error"}
    loaded = bool(meta.revision and meta.modules)
    return {"curriculum": "ok" if loaded else "error", "curriculum_id": meta.id, "curriculum_revision": meta.revision}


def _redis_and_workers() -> dict[str, Any]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"redis": "not configured", "build_worker": "in process"}
    from redis import Redis
    from redis.exceptions import RedisError

    from .manuals.jobs import RQ_QUEUE_NAME

    in_process = current_app.config.get("MANUAL_QUEUE") not in (None, "", "rq")  # Redis only for rate limits

    connection = Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        connection.ping()
    except RedisError as exc:
        current_app.logger.warning("health check: Redis unreachable: %s", exc)
        return {"redis": "unreachable", "build_worker": "in process" if in_process else "unknown"}
    if in_process:
        connection.close()
        return {"redis": "ok", "build_worker": "in process"}
    try:
        from rq import Queue, Worker

        workers = Worker.count(queue=Queue(RQ_QUEUE_NAME, connection=connection))
    except RedisError:
        return {"redis": "ok", "build_worker": "unknown"}
    finally:
        connection.close()
    return {"redis": "ok", "build_worker": "ok" if workers else "none", "build_workers": workers}


@bp.get("/healthz")
def healthz():
    report: dict[str, Any] = {"database": _database(), **_curriculum(), **_redis_and_workers()}
    if report["database"] != "ok":
        return jsonify(status="error", **report), 503
    degraded = (
        report["curriculum"] != "ok"
        or report["redis"] == "unreachable"
        or report["build_worker"] in ("none", "unknown")
    )
    return jsonify(status="degraded" if degraded else "ok", **report)
