"""The test fixtures keep their promises: rolled-back tests leave nothing behind, `database_url` commits for real."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import IntegrityError

from training.accounts.models import Role, User
from training.extensions import db

from .conftest import _dispose_all, login, make_user, rollback_app


def _logins(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(User.login).order_by(User.login)))


def test_a_rolled_back_test_leaves_nothing_behind(request, tmp_path):
    app = rollback_app(request, tmp_path)
    with app.app_context():
        make_user("kept-until-the-end", Role.TRAINEE, "elbtal")
        db.session.commit()
    assert _logins(app) == ["kept-until-the-end"]  # a later session sees the commit
    client = app.test_client()
    login(client, "kept-until-the-end")  # and so does a request
    _dispose_all()  # what happens after every test
    again = rollback_app(request, tmp_path)
    assert _logins(again) == []
    with again.app_context():
        assert make_user("next", Role.TRAINEE, "elbtal").id == 1  # ids start again, as in a fresh database


def test_a_failed_statement_rolls_back_only_its_own_work(app, people):
    with app.app_context():
        db.session.add(User(login="trainee", name="Duplicate", role=Role.TRAINEE, site_id="elbtal"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(User)) == 9  # the people are all still there


def test_an_app_on_database_url_commits_for_real(database_url, app, people):
    # Another connection, as a live server's thread or another process would use, sees the people.
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            logins = set(connection.scalars(select(User.login)))
    finally:
        engine.dispose()
    assert {"trainee", "trainer", "coord", "admin@example.org"} <= logins


def test_count_queries_counts_the_statements_of_a_request(app, client, people, count_queries):
    login(client, people.trainee)
    with count_queries() as nothing:
        pass
    with count_queries() as queries:
        assert client.get("/account").status_code == 200
    assert nothing.count == 0 and queries.count > 0
    assert any("users" in statement for statement in queries.statements)
