"""In-process baselines for the ingest benchmark: what the same events cost without HTTP.

The HTTP figures only mean something next to these, measured in the same run on the same
machine: the validator's rate, the writer's own path (rows → Arrow → INSERT) and DuckDB's
insert alone from ready Arrow tables, which is the ceiling the server can approach.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from unicx.assembly import MIGRATIONS, migrate_workspace
from unicx.config import Settings
from unicx.ingest import writer
from unicx.ingest.models import Limits, RequestInfo
from unicx.ingest.schema import EventRow, rows_to_arrow
from unicx.ingest.validate import decode_batch
from unicx.store import Store

COMMIT_EVERY = 10_000
INSERT_SQL = writer.INSERT_SQL
# The writer's fast path; an older checkout run through PYTHONPATH (for a before/after
# comparison) has only INSERT OR IGNORE.
INSERT_NEW_SQL: str = getattr(writer, "INSERT_NEW_SQL", INSERT_SQL)
_PK = " NOT NULL PRIMARY KEY"


@dataclass
class Baseline:
    decode_eps: float
    writer_eps: float
    insert_eps: float
    insert_or_ignore_eps: float
    insert_no_pk_eps: float
    insert_varchar_eps: float


def decode_rows(bodies: list[bytes]) -> tuple[list[EventRow], float]:
    """Rows from the real validator, and its rate in events/s (one core, no HTTP)."""
    limits = Limits.from_settings(Settings())
    rows: list[EventRow] = []
    started = time.perf_counter()
    for body in bodies:
        info = RequestInfo("src_bench", datetime.now(UTC), "127.0.0.1")
        decoded = decode_batch(body, info=info, limits=limits)
        if decoded.issues:
            raise RuntimeError(f"benchmark event rejected: {decoded.issues[0]}")
        rows.extend(decoded.rows)
    return rows, len(rows) / (time.perf_counter() - started)


def _chunks(rows: list[EventRow]) -> list[list[EventRow]]:
    return [rows[i : i + COMMIT_EVERY] for i in range(0, len(rows), COMMIT_EVERY)]


def _fresh_store(directory: Path, name: str, *, events_ddl: str | None = None) -> Store:
    store = Store(directory / f"{name}.duckdb")
    if events_ddl is None:
        migrate_workspace(store)
    else:
        with store.session() as s:
            s.execute(events_ddl, step="bench.events_ddl")
    return store


def _events_ddl(*, primary_key: bool, json_columns: bool) -> str:
    """The released events table, optionally without its key or JSON types (reference only)."""
    sql = MIGRATIONS[0].sql
    ddl = sql[sql.index("CREATE TABLE events") :]
    if not primary_key:
        if _PK not in ddl:
            raise RuntimeError("events DDL changed: update the benchmark's no-PK variant")
        ddl = ddl.replace(_PK, "")
    if not json_columns:
        ddl = ddl.replace(" JSON,", " VARCHAR,")
    return ddl


def _timed_inserts(
    store: Store, tables: list[pa.Table] | None, rows: list[EventRow], *, sql: str = INSERT_NEW_SQL
) -> float:
    """Events/s of INSERT (each its own commit, COMMIT_EVERY rows); tables=None converts too."""
    with store.session() as session:
        started = time.perf_counter()
        for i, chunk in enumerate(_chunks(rows)):
            table = rows_to_arrow(chunk) if tables is None else tables[i]
            session.register("flush_batch", table)
            session.execute(sql, step="bench.insert")
            session.unregister("flush_batch")
        elapsed = time.perf_counter() - started
    store.close()
    return len(rows) / elapsed


def measure(bodies: list[bytes]) -> Baseline:
    rows, decode_eps = decode_rows(bodies)
    tables = [rows_to_arrow(chunk) for chunk in _chunks(rows)]
    with tempfile.TemporaryDirectory(prefix="unicx-bench-base-") as tmp:
        d = Path(tmp)
        writer_eps = _timed_inserts(_fresh_store(d, "writer"), None, rows)
        insert_eps = _timed_inserts(_fresh_store(d, "insert"), tables, rows)
        # The writer's fallback when a key repeats: DuckDB's conflict handling on every row.
        ignore_eps = _timed_inserts(_fresh_store(d, "ignore"), tables, rows, sql=INSERT_SQL)
        no_pk = _events_ddl(primary_key=False, json_columns=True)
        # Without a key there is nothing for OR IGNORE to refer to: a plain INSERT.
        plain = INSERT_SQL.replace("INSERT OR IGNORE", "INSERT", 1)
        no_pk_store = _fresh_store(d, "nopk", events_ddl=no_pk)
        no_pk_eps = _timed_inserts(no_pk_store, tables, rows, sql=plain)
        varchar = _events_ddl(primary_key=True, json_columns=False)
        varchar_eps = _timed_inserts(_fresh_store(d, "varchar", events_ddl=varchar), tables, rows)
    return Baseline(decode_eps, writer_eps, insert_eps, ignore_eps, no_pk_eps, varchar_eps)
