"""Bulk rewrites of a keyed table inside one transaction.

Deleting every row of a table with a primary key and inserting the same keys again in one
transaction is pathological in DuckDB: the index keeps the deleted entries until commit and
each re-inserted key has to be checked against them (5M identifiers: minutes, bench/RESULTS.md).
Loading an empty copy without the key and adding the key at the end builds the index once, in
bulk, and still refuses duplicates (the ALTER fails and the transaction rolls back).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from unicx.store.store import Session

_TABLE_KEY = re.compile(r",\s*PRIMARY KEY\s*\(([^)]*)\)")
_INLINE_KEY = re.compile(r"(\w+) ([A-Z ]+?) PRIMARY KEY")


def _unkeyed_ddl(ddl: str, table: str, new_name: str) -> tuple[str, str]:
    """The CREATE statement without its primary key, and the key's columns."""
    if (m := _TABLE_KEY.search(ddl)) is not None:
        columns = m.group(1)
        ddl = ddl[: m.start()] + ddl[m.end() :]
    elif (m := _INLINE_KEY.search(ddl)) is not None:
        columns = m.group(1)
        ddl = ddl[: m.start()] + f"{m.group(1)} {m.group(2)} NOT NULL" + ddl[m.end() :]
    else:
        raise ValueError(f"table {table} has no primary key")
    prefix = f"CREATE TABLE {table}("
    if not ddl.startswith(prefix) or "PRIMARY KEY" in ddl:
        raise ValueError(f"unexpected definition of table {table}: {ddl}")
    return f"CREATE TABLE {new_name}(" + ddl[len(prefix) :], columns


@contextmanager
def emptied_without_key(session: Session, table: str) -> Iterator[None]:
    """Inside the caller's transaction: replace ``table`` by an empty copy without its primary
    key for the body to fill, then add the key back (refusing duplicates)."""
    row = session.fetchone(
        "SELECT sql FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'",
        [table],
        step="bulk.ddl",
    )
    if row is None:
        raise ValueError(f"no table {table}")
    staging = f"{table}_unkeyed"
    ddl, columns = _unkeyed_ddl(str(row[0]), table, staging)
    session.execute(ddl, step="bulk.create")
    session.execute(f"DROP TABLE {table}", step="bulk.drop")
    session.execute(f"ALTER TABLE {staging} RENAME TO {table}", step="bulk.rename")
    yield
    session.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({columns})", step="bulk.add_key")
