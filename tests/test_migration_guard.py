"""A downgrade that would delete records refuses, naming the rows, unless forced (SQLite and PostgreSQL)."""

from __future__ import annotations

import click
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from training.accounts.models import Role
from training.extensions import db

from .conftest import make_app, make_user


@pytest.fixture
def migrated(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("PEERPATH_ALLOW_DATA_LOSS", raising=False)
    app = make_app(database_url, tmp_path)
    with app.app_context():
        db.drop_all()
        upgrade()
        make_user("trainer", Role.TRAINER, "elbtal")
        make_user("trainee", Role.TRAINEE, "elbtal")
        db.session.commit()
        db.session.execute(
            db.text(
                "INSERT INTO manual_builds (cache_key, kind, lang, modules, paper, status, progress, attempts, "
                "created_at, updated_at) VALUES ('k', 'workbook', 'en', '', 'a4', 'done', 100, 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        db.session.commit()
    return app


def _tables(app) -> set[str]:
    with app.app_context():
        db.session.remove()
        return set(inspect(db.engine).get_table_names())


def test_downgrade_to_base_refuses_and_names_the_rows(migrated):
    with migrated.app_context(), pytest.raises(click.ClickException) as refused:
        downgrade(revision="base")
    message = refused.value.message
    assert "refusing to downgrade: it would delete 2 rows (users: 2)" in message
    assert "manual_builds" not in message  # build records are a cache: declared disposable
    assert "PEERPATH_ALLOW_DATA_LOSS=1" in message
    assert {"users", "manual_builds", "assessments"} <= _tables(migrated)
    with migrated.app_context():
        assert db.session.execute(db.text("SELECT count(*) FROM users")).scalar_one() == 2


def test_one_step_down_counts_only_what_that_step_drops(migrated):
    runner = migrated.test_cli_runner()
    # Down past the manual builds (disposable): allowed. Then past the assessments with a record.
    result = runner.invoke(args=["db", "downgrade"])  # one step: -1
    assert result.exit_code == 0, result.output
    assert "manual_builds" not in _tables(migrated)
    with migrated.app_context():
        db.session.execute(
            db.text(
                "INSERT INTO cohorts (site_id, name, language, join_code, archived, created_at) "
                "VALUES ('elbtal', 'A', 'de', 'ABCD2345', false, CURRENT_TIMESTAMP)"
            )
        )
        db.session.execute(
            db.text(
                "INSERT INTO workshops (cohort_id, title, held_on, place, modules, created_at) "
                "SELECT id, 'W', CURRENT_DATE, '', '[]', CURRENT_TIMESTAMP FROM cohorts"
            )
        )
        db.session.commit()
    result = runner.invoke(args=["db", "downgrade"])
    assert result.exit_code == 1
    assert "would delete 1 rows (workshops: 1)" in result.output
    assert "workshops" in _tables(migrated)


def test_forced_downgrade_runs(migrated):
    runner = migrated.test_cli_runner()
    result = runner.invoke(args=["db", "downgrade", "-x", "force=1", "base"])
    assert result.exit_code == 0, result.output
    assert "users" not in _tables(migrated)
    upgrade_result = runner.invoke(args=["db", "upgrade"])
    assert upgrade_result.exit_code == 0 and "users" in _tables(migrated)


def test_environment_variable_forces_too(migrated, monkeypatch):
    monkeypatch.setenv("PEERPATH_ALLOW_DATA_LOSS", "1")
    with migrated.app_context():
        downgrade(revision="base")
    assert "users" not in _tables(migrated)


def test_an_empty_database_downgrades_freely(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("PEERPATH_ALLOW_DATA_LOSS", raising=False)
    app = make_app(database_url, tmp_path)
    with app.app_context():
        db.drop_all()
        upgrade()
        downgrade(revision="base")
    assert "users" not in _tables(app)
