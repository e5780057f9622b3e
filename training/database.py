"""The database: SQLite (WAL, busy timeout) by default, PostgreSQL via DATABASE_URL."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_connection, _record) -> None:
        # SQLAlchemy, not the sqlite3 module, starts transactions (see _sqlite_begin): the
        # module's own implicit BEGIN breaks SAVEPOINTs, so a duplicate key could not be
        # caught inside a savepoint and the whole request failed.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers carry on while one writer writes; the timeout makes a
        # second writer wait instead of failing with "database is locked".
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


def _writing_request() -> bool:
    """A request that may change data (POST and friends): its transaction should write-lock at once."""
    from flask import g, has_request_context, request

    return (
        has_request_context()
        and request.method not in ("GET", "HEAD", "OPTIONS")
        and not g.get("sqlite_begin_on_write", False)  # set by concurrency.lock_on_first_write
    )


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER")


def _sqlite_begin(conn) -> None:
    # Two writers that both began by reading cannot both upgrade to a write lock: SQLite
    # answers "database is locked" at once, whatever the busy timeout. So a request that
    # may write (POST) takes the write lock first with BEGIN IMMEDIATE, and concurrent
    # POSTs (double taps) queue on the busy timeout instead of failing.
    if _writing_request():
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    # Everything else (pages, background builds, the command line) reads without a
    # transaction, always seeing the latest data, and begins at its first write
    # (_sqlite_begin_on_write), as the sqlite3 module itself would.


def _sqlite_begin_on_write(conn, cursor, statement, parameters, context, executemany) -> None:
    if not conn.connection.dbapi_connection.in_transaction and statement.lstrip()[:9].upper().startswith(_WRITES):
        cursor.execute("BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401 - registers every table with the metadata

    db.init_app(app)
    # Flask-Migrate imports Alembic (a few tenths of a second): only `flask db` and migration code
    # need it, so it is set up on first use, not on every start of a web worker or CLI command.
    app.extensions["migrate"] = _DeferredMigrate(app)
    app.cli.add_command(_DeferredDbGroup(app))
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas(app.config["SQLITE_BUSY_TIMEOUT_MS"]))
            event.listen(engine, "begin", _sqlite_begin)
            event.listen(engine, "before_cursor_execute", _sqlite_begin_on_write)


def setup_migrations(app: Flask) -> Any:
    """Set up Flask-Migrate for ``app`` now; returns its ``app.extensions["migrate"]`` entry."""
    entry = app.extensions.get("migrate")
    if entry is None or isinstance(entry, _DeferredMigrate):
        from flask_migrate import Migrate

        Migrate().init_app(app, db, directory=str(app.root_path + "/migrations"), render_as_batch=True)
    return app.extensions["migrate"]


class _DeferredMigrate:
    """Stands in for Flask-Migrate's entry in ``app.extensions`` until something reads it."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(setup_migrations(self._app), name)


class _DeferredDbGroup(click.Group):
    """``flask db``: listed in the help as usual, Flask-Migrate's own group once it is run."""

    def __init__(self, app: Flask) -> None:
        super().__init__("db", help="Perform database migrations.")
        self._app = app

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        setup_migrations(self._app)  # also puts Flask-Migrate's group in place of this one
        from flask_migrate.cli import db as db_group

        return db_group.make_context(info_name, args, parent=parent, **extra)
