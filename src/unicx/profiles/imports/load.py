"""The store side of one import, inside its single transaction: duplicate detection across
chunks, event inserts, the identifiers touched, and the ``imports`` record.

State that spans chunks lives in temp tables of the import's own connection, so memory stays
bounded by the chunk however long the file is.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import pyarrow as pa

from unicx.ingest.schema import EventRow, rows_to_arrow
from unicx.ingest.writer import INSERT_SQL
from unicx.profiles.imports.models import ImportReport
from unicx.store import Session

# A line is an order line (order_id + sku) or, for profiles, the row's content. A row whose
# content was seen before is a duplicate; distinct contents of one line are numbered 1, 2, …
_SETUP_SQL = """
CREATE OR REPLACE TEMP TABLE imp_lines (line_hash UBIGINT, content_hash UBIGINT);
CREATE OR REPLACE TEMP TABLE imp_ids (id_type VARCHAR, id_value VARCHAR);
"""
_DEDUPE_SQL = """
CREATE OR REPLACE TEMP TABLE imp_result AS
WITH f AS (
    SELECT c.idx, c.line_hash, c.content_hash,
           row_number() OVER (PARTITION BY c.content_hash ORDER BY c.idx) > 1
               OR c.content_hash IN (SELECT content_hash FROM imp_lines) AS dup
    FROM imp_chunk c
), prior AS (
    SELECT line_hash, count(*) AS seen FROM imp_lines
    WHERE line_hash IN (SELECT line_hash FROM imp_chunk) GROUP BY line_hash
)
SELECT f.idx, f.line_hash, f.content_hash, f.dup,
       coalesce(p.seen, 0) + row_number() OVER (PARTITION BY f.line_hash, f.dup ORDER BY f.idx)
           AS line_no
FROM f LEFT JOIN prior p USING (line_hash)
"""
_REMEMBER_SQL = "INSERT INTO imp_lines SELECT line_hash, content_hash FROM imp_result WHERE NOT dup"
# Messages quote the offending value as Python repr: 'value' or "value".
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")

_RECORD_SQL = """
INSERT INTO imports (import_id, kind, file_name, file_sha256, file_format, encoding, mapping,
    status, total_rows, accepted, rejected, duplicates, already_imported, events_written,
    rejects_path, created_at, finished_at, actor, errors, warnings)
VALUES ($import_id, $kind, $file_name, $sha, $file_format, $encoding, $mapping, $status,
    $total_rows, $accepted, $rejected, $duplicates, $already_imported, $events_written,
    $rejects_path, $created_at, $finished_at, $actor, $errors, $warnings)
"""
_TEMP_TABLES = ("imp_lines", "imp_ids", "imp_result")


class ImportLoad:
    """Statements of one import on its session. Event inserts run on a helper thread (DuckDB
    releases the GIL while it inserts) so the next chunk is checked meanwhile; every other
    statement first waits for the insert in flight, so the connection is never shared."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.s.execute(_SETUP_SQL, step="imports.setup")
        self.inserted = 0
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="unicx-import")
        self._pending: Future[int] | None = None

    def dedupe(self, line_hashes: list[int], content_hashes: list[int]) -> list[int | None]:
        """For each row: its line number among distinct contents, or None if a duplicate."""
        self.flush()
        n = len(line_hashes)
        chunk = pa.table(
            {
                "idx": pa.array(range(n), pa.int64()),
                "line_hash": pa.array(line_hashes, pa.uint64()),
                "content_hash": pa.array(content_hashes, pa.uint64()),
            }
        )
        self.s.register("imp_chunk", chunk)
        try:
            self.s.execute(_DEDUPE_SQL, step="imports.dedupe")
            self.s.execute(_REMEMBER_SQL, step="imports.remember")
            rows = self.s.fetchall(
                "SELECT dup, line_no FROM imp_result ORDER BY idx", step="imports.dedupe_result"
            )
        finally:
            self.s.unregister("imp_chunk")
        return [None if dup else int(line) for dup, line in rows]

    def insert(self, rows: list[EventRow]) -> None:
        """Start storing events (keys already stored are skipped); ``inserted`` counts the new
        ones once :meth:`flush` has run."""
        table = rows_to_arrow(rows) if rows else None
        self.flush()
        if table is not None:
            self._pending = self._thread.submit(self._insert, table)

    def _insert(self, table: pa.Table) -> int:
        self.s.register("flush_batch", table)
        try:
            result = self.s.fetchone(INSERT_SQL, step="imports.insert_events")
        finally:
            self.s.unregister("flush_batch")
        return int(result[0]) if result else 0

    def flush(self) -> None:
        """Wait for the insert in flight; its failure is raised here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self.inserted += pending.result()

    def settle(self) -> None:
        """Wait for the insert in flight without raising: before a rollback on another error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            wait([pending])

    def remember_ids(self, ids: list[tuple[str, str]]) -> None:
        if not ids:
            return
        self.flush()
        types, values = zip(*ids, strict=True)
        table = pa.table({"id_type": pa.array(types), "id_value": pa.array(values)})
        self.s.register("imp_ids_chunk", table)
        try:
            self.s.execute("INSERT INTO imp_ids SELECT * FROM imp_ids_chunk", step="imports.ids")
        finally:
            self.s.unregister("imp_ids_chunk")

    def touched_profiles(self) -> list[str]:
        """Profiles now holding an identifier the import carried (after resolution)."""
        rows = self.s.fetchall(
            "SELECT DISTINCT i.profile_id FROM identities i "
            "JOIN (SELECT DISTINCT id_type, id_value FROM imp_ids) t USING (id_type, id_value) "
            "ORDER BY 1",
            step="imports.touched",
        )
        return [str(r[0]) for r in rows]

    def record(self, report: ImportReport, *, sha256: str, mapping: str) -> None:
        self.flush()
        params: dict[str, Any] = report.model_dump(exclude={"errors", "warnings"})
        # The caller sees each rejected value in its report and the rejects file; the stored
        # record keeps only where and which rule (a rejected row is no one's profile, so
        # erasure could not find a value kept here).
        errors = [{**e.model_dump(), "message": _QUOTED.sub("…", e.message)} for e in report.errors]
        params.update(sha=sha256, mapping=mapping, errors=json.dumps(errors), warnings="[]")
        self.s.execute(_RECORD_SQL, params, step="imports.record")

    def set_warnings(self, import_id: str, warnings: list[str]) -> None:
        self.s.execute(
            "UPDATE imports SET warnings = ? WHERE import_id = ?",
            [json.dumps(warnings), import_id],
            step="imports.warnings",
        )

    def close(self) -> None:
        self.settle()
        self._thread.shutdown()
        for name in _TEMP_TABLES:
            self.s.execute(f"DROP TABLE IF EXISTS temp.{name}", step="imports.cleanup")
