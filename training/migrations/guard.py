"""A downgrade that would delete data refuses to run unless explicitly forced.

``env.py`` asks Alembic for the steps it is about to run; for each downgrade
step it reads the migration's ``downgrade()`` for ``drop_table`` and
``drop_column`` calls and counts the rows (or non-empty values) that would
go. Any at all, and the command stops with the counts, unless
``PEERPATH_ALLOW_DATA_LOSS=1`` is set or ``-x force=1`` is given
(``flask db downgrade -x force=1 <revision>``). An empty database downgrades
freely. A migration lists tables or ``table.column`` names that hold only
derived or transient data (caches, counters) in ``disposable_on_downgrade``;
those are not counted. Imports nothing from the app: migrations must run on
any version.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Iterable

import click
from sqlalchemy import column as sql_column
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import table as sql_table
from sqlalchemy.engine import Connection

_TABLE = re.compile(r"""op\.drop_table\(\s*['"](\w+)['"]""")
_BATCH = re.compile(r"""batch_alter_table\(\s*['"](\w+)['"]""")
_RAW_COLUMN = re.compile(r"""ALTER\s+TABLE\s+"?(\w+)"?\s+DROP\s+COLUMN\s+"?(\w+)"?""", re.IGNORECASE)
_COLUMN = re.compile(r"""(?:batch_op|op)\.drop_column\(\s*(?:['"](\w+)['"]\s*,\s*)?['"](\w+)['"]""")


def drops(downgrade_source: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Tables and (table, column) pairs a migration's downgrade removes, from its source."""
    tables = _TABLE.findall(downgrade_source)
    columns: list[tuple[str, str]] = []
    batch_table = None
    for line in downgrade_source.splitlines():
        if match := _BATCH.search(line):
            batch_table = match.group(1)
        if match := _COLUMN.search(line):
            table = match.group(1) or batch_table
            if table:
                columns.append((table, match.group(2)))
        columns += _RAW_COLUMN.findall(line)  # op.execute("ALTER TABLE … DROP COLUMN …")
    return tables, columns


def rows_lost(conn: Connection, modules: Iterable) -> dict[str, int]:
    """Rows (or non-empty column values) each dropped table or column holds now."""
    present = set(sa_inspect(conn).get_table_names())
    lost: dict[str, int] = {}
    for module in modules:
        tables, columns = drops(inspect.getsource(module.downgrade))
        # A migration may name what it drops that is only derived or transient (caches, counters).
        disposable = set(getattr(module, "disposable_on_downgrade", ()))
        tables = [t for t in tables if t not in disposable]
        columns = [(t, c) for t, c in columns if t not in disposable and f"{t}.{c}" not in disposable]
        for table in tables:
            if table in present:
                lost[table] = conn.execute(select(func.count()).select_from(sql_table(table))).scalar_one()
        for table, column in columns:
            if table in present:
                where = sql_column(column).is_not(None)
                query = select(func.count()).select_from(sql_table(table)).where(where)
                lost[f"{table}.{column}"] = conn.execute(query).scalar_one()
    return {name: n for name, n in lost.items() if n}


def forced(x_arguments: dict[str, str]) -> bool:
    return os.environ.get("PEERPATH_ALLOW_DATA_LOSS") == "1" or x_arguments.get("force") in ("1", "true", "yes")


def check_downgrade(conn: Connection, migration_context, x_arguments: dict[str, str]) -> None:
    """Stop a downgrade that would delete rows, naming how many, unless forced."""
    try:
        _check(conn, migration_context, x_arguments)
    finally:
        if conn.in_transaction():
            conn.rollback()  # only read here: Alembic must begin (and commit) its own transaction


def _check(conn: Connection, migration_context, x_arguments: dict[str, str]) -> None:
    # The steps Alembic is about to run (a private hook, but the very function it will call next).
    run = getattr(migration_context, "_migrations_fn", None)
    if run is None:
        return
    steps = list(run(migration_context.get_current_heads(), migration_context))
    modules = [
        step.revision.module for step in steps if not getattr(step, "is_upgrade", True) and hasattr(step, "revision")
    ]
    if not modules:
        return
    lost = rows_lost(conn, modules)
    if not lost:
        return
    total = sum(lost.values())
    detail = ", ".join(f"{name}: {n}" for name, n in sorted(lost.items()))
    if forced(x_arguments):
        click.echo(f"downgrade: deleting {total} rows as forced ({detail})", err=True)
        return
    raise click.ClickException(
        f"refusing to downgrade: it would delete {total} rows ({detail}). Back up the database first; "
        "then run again with PEERPATH_ALLOW_DATA_LOSS=1 or `flask db downgrade -x force=1 …`."
    )
