"""The log of answers (``rec_served``), written in batches.

One INSERT per answer costs a commit (milliseconds) on the hot path; answers are buffered and
appended together once a second or every ``BATCH`` answers, and before the placement report
reads the table. A crash loses at most that second of log lines, never an answer.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

import pyarrow as pa

from unicx.store import Store

BATCH = 500
EVERY_S = 1.0
SCHEMA = pa.schema(
    [("recommendation_id", pa.string()), ("profile_id", pa.string()),
     ("placement", pa.string()), ("context", pa.string()), ("items", pa.string()),
     ("model_version", pa.string()), ("personalized", pa.bool_()),
     ("served_at", pa.timestamp("us", tz="UTC"))]
)  # fmt: skip


class ServedLog:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._rows: list[tuple[Any, ...]] = []
        self._oldest = 0.0

    def add(self, row: tuple[str, str | None, str, str, str, str | None, bool, datetime]) -> None:
        with self._lock:
            if not self._rows:
                self._oldest = time.monotonic()
            self._rows.append(row)
            due = len(self._rows) >= BATCH or time.monotonic() - self._oldest >= EVERY_S
        if due:
            self.flush()

    def forget(self, profile_id: str) -> int:
        """Drop the profile's buffered lines (erasure: they would land after the DELETE)."""
        with self._lock:
            kept = [r for r in self._rows if r[1] != profile_id]
            dropped, self._rows = len(self._rows) - len(kept), kept
        return dropped

    def flush(self) -> int:
        with self._lock:
            rows, self._rows = self._rows, []
        if not rows:
            return 0
        table = pa.Table.from_pylist([dict(zip(SCHEMA.names, r, strict=True)) for r in rows],
                                     schema=SCHEMA)  # fmt: skip
        with self._store.session() as s:
            s.register("_rec_served_new", table)
            try:
                s.execute("INSERT INTO rec_served BY NAME SELECT * FROM _rec_served_new",
                          step="recommend.log")  # fmt: skip
            finally:
                s.unregister("_rec_served_new")
        return len(rows)
