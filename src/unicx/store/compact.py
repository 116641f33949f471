"""Rewriting the database file so that deleted rows leave no bytes behind.

DuckDB marks deleted rows and frees blocks without overwriting them: after ``DELETE`` and
``CHECKPOINT`` a deleted value is still readable in the file (in the row group that held it,
or in a freed block), and ``VACUUM`` or rewriting a table only moves it to a freed block.
DuckDB's documented way to reclaim that space is to copy the database into a new file
(``COPY FROM DATABASE``); that copy holds only live rows, and it replaces the old file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

from unicx.store.store import Store

log = logging.getLogger(__name__)

COPY_ALIAS: Final = "unicx_compact"


def compact_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".compact")


def rewrite_database(store: Store, *, wait_s: float = 10.0) -> None:
    """Checkpoint (the WAL goes), then replace the file by a copy of its live rows.

    Sessions are held back meanwhile; RetryableStoreError if open ones do not end in time.
    """
    target = compact_path(store.path)
    _remove(target)
    with store.exclusive(wait_s=wait_s) as con:
        store.run(con, "CHECKPOINT", step="compact.checkpoint")
        row = store.run(con, "SELECT current_database()", step="compact.name").fetchone()
        source = str(row[0]) if row else ""
        quoted = str(target).replace("'", "''")
        store.run(con, f"ATTACH '{quoted}' AS {COPY_ALIAS}", step="compact.attach")
        try:
            copy = f'COPY FROM DATABASE "{source}" TO {COPY_ALIAS}'
            store.run(con, copy, step="compact.copy")
        finally:
            store.run(con, f"DETACH {COPY_ALIAS}", step="compact.detach")
        try:
            store.replace_file(target)
        finally:
            _remove(target)
    log.info("database rewritten without deleted rows: %s", store.path)


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
