"""Migrations build the whole schema from nothing, and match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from training.extensions import db

from .conftest import make_app


def test_upgrade_from_empty_matches_models(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    with app.app_context():
        db.drop_all()
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"render_as_batch": True}), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        assert "users" in inspect(db.engine).get_table_names()


def test_downgrade_to_base_and_up_again(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    with app.app_context():
        db.drop_all()
        upgrade()
        downgrade(revision="base")
        assert "users" not in inspect(db.engine).get_table_names()
        upgrade()
        assert "users" in inspect(db.engine).get_table_names()


def test_cli_upgrade_and_demo_on_fresh_sqlite(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)
    with app.app_context():
        db.drop_all()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    loaded = runner.invoke(args=["demo", "load", "--if-empty"])
    assert loaded.exit_code == 0 and "demo: loaded 46 users, 5 cohorts" in loaded.output, loaded.output
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "nothing loaded" in again.output
    logins = runner.invoke(args=["demo", "logins"])
    assert "peerpath-demo" in logins.output and "coordinator.galil" in logins.output
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_field_conditions_migration_keeps_data_and_closes_duplicate_open_flags(database_url, tmp_path):
    """Upgrading a database with two open flags for one trainee and competency (left by an
    earlier race) keeps both rows, closes the newer with a note, and adds the unique index."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    app = make_app(database_url, tmp_path)
    with app.app_context():
        db.drop_all()
        upgrade(revision="3015cdd65477")
        now = "2026-11-01 10:00:00+00:00"
        with db.engine.begin() as conn:
            for uid, role in ((1, "trainer"), (2, "trainee")):
                conn.execute(
                    text(
                        "INSERT INTO users (id, login, name, role, site_id, active, created_at) "
                        "VALUES (:id, :login, :login, :role, 'elbtal', true, :now)"
                    ),
                    {"id": uid, "login": f"u{uid}", "role": role, "now": now},
                )
            conn.execute(
                text(
                    "INSERT INTO cohorts (id, site_id, name, language, join_code, archived, created_at) "
                    "VALUES (1, 'elbtal', 'A', 'en', 'CODE2345', false, :now)"
                ),
                {"now": now},
            )
            for aid in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO assessments (id, trainee_id, assessor_id, cohort_id, site_id, competency, "
                        "evidence_kind, level, checklist, observed_on, note, language, content_revision, "
                        "safety_revision, submission_id, created_at) VALUES (:id, 2, 1, 1, 'elbtal', 'B2', 'skill', "
                        "0, '[]', '2026-11-01', '', 'en', 'r', '', :sub, :now)"
                    ),
                    {"id": aid, "sub": f"s{aid}", "now": now},
                )
                conn.execute(
                    text(
                        "INSERT INTO safety_flags (id, trainee_id, site_id, competency, raised_by_assessment_id, "
                        "raised_at) VALUES (:id, 2, 'elbtal', 'B2', :id, :now)"
                    ),
                    {"id": aid, "now": now},
                )
        upgrade()
        with db.engine.begin() as conn:
            rows = conn.execute(text("SELECT id, closed_at, close_note FROM safety_flags ORDER BY id")).all()
            assert [r.id for r in rows] == [1, 2]
            assert rows[0].closed_at is None and rows[1].closed_at is not None and "duplicate" in rows[1].close_note
            assert conn.execute(text("SELECT session_version FROM users WHERE id = 2")).scalar() == 0
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO safety_flags (trainee_id, site_id, competency, raised_by_assessment_id, raised_at) "
                    "VALUES (2, 'elbtal', 'B2', 2, :now)"
                ),
                {"now": now},
            )
        downgrade(revision="3015cdd65477")
        assert "sign_in_throttles" not in inspect(db.engine).get_table_names()
        assert "session_version" not in {c["name"] for c in inspect(db.engine).get_columns("users")}
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM safety_flags")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 2
        upgrade()
