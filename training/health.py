"""GET /healthz: 200 with JSON when the database answers, 503 when it does not."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        current_app.logger.error("health check: database unreachable: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    finally:
        db.session.remove()
    meta = current_app.extensions["curriculum"].meta()
    return jsonify(status="ok", database="ok", curriculum=meta.id, curriculum_revision=meta.revision)
