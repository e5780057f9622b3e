"""Inserts that survive double taps: the same record sent twice at the same instant.

Two identical POSTs on a slow link are normal. A unique key in the database decides
which one wins; the loser must neither fail nor leave a half-written object behind.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from .extensions import db

T = TypeVar("T")


def insert_or_existing(row: T, find: Callable[[], T | None]) -> tuple[T, bool]:
    """Insert ``row`` inside a SAVEPOINT; on a duplicate key return the row that won instead.

    Returns (row, True) when inserted, (existing, False) when another request got there first.
    The row is added inside the savepoint on purpose: ``begin_nested()`` flushes pending
    objects *before* the SAVEPOINT, so a row added earlier would fail outside it."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        if row in db.session:  # never let autoflush write the loser again
            db.session.expunge(row)
        existing = find()
        if existing is None:  # a different constraint failed: not a duplicate
            raise
        return existing, False
    return row, True


def lock_row(model: type, row_id: int) -> None:
    """Hold the row until commit, so a duplicate request checks after this one has written.

    PostgreSQL: SELECT … FOR UPDATE. SQLite ignores the clause; there every writing request
    already holds the database's write lock from its first statement (BEGIN IMMEDIATE)."""
    from sqlalchemy import select

    db.session.execute(select(model.id).where(model.id == row_id).with_for_update())


def lock_on_first_write(view: Callable) -> Callable:
    """For a view whose writes need no earlier read under lock (sign-in: one atomic upsert,
    one update): on SQLite it reads without taking the write lock, so its slow part (argon2,
    about 0.1 s) runs in parallel across workers when a whole class signs in at once.
    (database._writing_request reads the flag; other POSTs begin with BEGIN IMMEDIATE.)"""

    @wraps(view)
    def wrapped(*args, **kwargs):
        from flask import g

        g.sqlite_begin_on_write = True
        return view(*args, **kwargs)

    return wrapped
