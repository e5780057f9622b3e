"""Migrations build the whole schema from nothing, and match the models exactly."""

from __future__ import annotations

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
