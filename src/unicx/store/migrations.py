"""Versioned schema migrations, applied in order inside one transaction each.

A migration is never edited once released: change the schema by appending a new one.
The store knows only how to apply them: each domain declares its tables in its ``schema.py``
and ``unicx.assembly`` hands the ordered list to :func:`migrate`, so the store imports no domain.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from unicx.store.store import Session, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    # Work SQL alone cannot do (a secret from the OS's random source), in the same transaction.
    then: Callable[[Session], None] | None = None


CREATE_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def current_version(store: Store) -> int:
    with store.session() as s:
        s.execute(CREATE_VERSION_TABLE, step="migrations.ensure_table")
        row = s.fetchone(
            "SELECT coalesce(max(version), 0) FROM schema_migrations", step="migrations.version"
        )
    return int(row[0]) if row else 0


def _recorded(store: Store) -> set[int]:
    with store.session() as s:
        s.execute(CREATE_VERSION_TABLE, step="migrations.ensure_table")
        rows = s.fetchall("SELECT version FROM schema_migrations", step="migrations.recorded")
    return {int(r[0]) for r in rows}


def migrate(store: Store, *, migrations: Sequence[Migration]) -> list[int]:
    """Apply every migration the database has not recorded, in order; returns their versions.
    Not only those above the highest: numbers are handed out to parallel work and may be
    merged out of order (a workspace at 11 still gets a 9 merged after it)."""
    applied: list[int] = []
    have = _recorded(store)
    for m in migrations:
        if m.version in have:
            continue
        with store.session() as s, s.transaction():
            if m.sql:
                s.execute(m.sql, step=f"migration.{m.version}.{m.name}")
            if m.then is not None:
                m.then(s)
            s.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [m.version, m.name],
                step="migrations.record",
            )
        log.info("applied migration %s %s", m.version, m.name)
        applied.append(m.version)
    return applied
