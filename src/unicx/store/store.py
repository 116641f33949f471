"""DuckDB workspace database and the one method every statement goes through.

DuckDB allows one read-write process per file. Inside that process one database instance is
shared and each thread works on its own cursor (a :class:`Session`); DuckDB's MVCC lets readers
run while the ingest writer appends.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from unicx.errors import (
    ConstraintViolationError,
    RetryableStoreError,
    StoreError,
    WorkspaceLockedError,
)

log = logging.getLogger("unicx.sql")

Params = Sequence[Any] | dict[str, Any] | None


class Store:
    """One workspace database file, opened once per process."""

    def __init__(
        self,
        path: Path,
        *,
        log_params: bool = False,
        read_only: bool = False,
        checkpoint_wal_mb: int | None = None,
        threads: int | None = None,
    ) -> None:
        self.path = path
        self._threads = threads
        self.log_params = log_params
        self.read_only = read_only
        self._checkpoint_wal_mb = checkpoint_wal_mb
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._con = self._connect()
        self._closed = False
        # Sessions open right now; exclusive() waits for them to end and holds new ones back.
        self._gate = threading.Condition()
        self._open_sessions = 0
        self._exclusive = False
        # Identity resolution, merges and erasure rewrite the same rows: within this process
        # they take turns instead of failing on DuckDB's write-write conflict detection.
        self.profile_lock = threading.RLock()
        self._close_lock = threading.Lock()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(str(self.path), read_only=self.read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WorkspaceLockedError(
                    f"workspace database {self.path} is open in another process "
                    "(is `unicx serve` running?)",
                ) from exc
            raise StoreError(f"cannot open {self.path}: {exc}") from exc
        if self._checkpoint_wal_mb is not None and not self.read_only:
            # A global DuckDB option; the automatic checkpoint runs inside the committing
            # transaction, so its threshold decides how often ingest stalls (see Settings).
            self.run(
                con,
                f"SET checkpoint_threshold = '{int(self._checkpoint_wal_mb)}MB'",
                step="store.checkpoint_threshold",
            )
        if self._threads is not None:
            self.run(con, f"SET threads = {int(self._threads)}", step="store.threads")
        return con

    def session(self) -> Session:
        """A cursor for one thread; cheap, close it (or use ``with``) when done."""
        with self._gate:
            while self._exclusive:
                self._gate.wait()
            self._open_sessions += 1
        try:
            return Session(self, self._con.cursor())
        except BaseException:
            self._session_closed()
            raise

    def _session_closed(self) -> None:
        with self._gate:
            self._open_sessions -= 1
            self._gate.notify_all()

    @contextmanager
    def exclusive(self, *, wait_s: float) -> Iterator[duckdb.DuckDBPyConnection]:
        """The connection with no session open, new sessions held back until the block ends
        (for work that replaces the database file). RetryableStoreError if the sessions open
        now do not end within ``wait_s`` (a thread may hold one while asking for another)."""
        with self._gate:
            if self._exclusive:
                raise RetryableStoreError("the database is being rewritten; try again")
            self._exclusive = True
            drained = self._gate.wait_for(lambda: self._open_sessions == 0, timeout=wait_s)
        try:
            if not drained:
                raise RetryableStoreError("the database is busy; try again")
            yield self._con
        finally:
            with self._gate:
                self._exclusive = False
                self._gate.notify_all()

    def replace_file(self, new_file: Path) -> None:
        """Swap the database file for ``new_file`` (inside :meth:`exclusive` only)."""
        self._con.close()
        try:
            os.replace(new_file, self.path)
        finally:
            self._con = self._connect()

    def run(
        self,
        con: duckdb.DuckDBPyConnection,
        sql: str,
        params: Params = None,
        *,
        step: str,
    ) -> duckdb.DuckDBPyConnection:
        """Execute ``sql`` as the named ``step``: the single path SQL takes to the engine.

        Logs the statement (parameters only when allowed: they may hold personal data) and
        re-raises engine failures as :class:`StoreError` with the SQL attached.
        """
        started = time.perf_counter()
        try:
            result = con.execute(sql, params) if params is not None else con.execute(sql)
        except duckdb.Error as exc:
            raise translate_error(exc, sql=sql, step=step) from exc
        if log.isEnabledFor(logging.DEBUG):
            elapsed_ms = (time.perf_counter() - started) * 1000
            shown = params if self.log_params else "<hidden>"
            log.debug("%s (%.2f ms): %s params=%s", step, elapsed_ms, sql.strip(), shown)
        return result

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            # A checkpoint folds the WAL into the file so the next start does not replay it.
            try:
                self._con.execute("CHECKPOINT")
            except duckdb.Error as exc:
                log.warning("checkpoint on close failed: %s", exc)
            self._con.close()


class Session:
    """A thread's cursor on the store. Not thread-safe: one per thread or task."""

    def __init__(self, store: Store, con: duckdb.DuckDBPyConnection) -> None:
        self.store = store
        self.con = con
        # State that lives as long as this cursor, e.g. the temp tables of an open scope that
        # nested steps reuse instead of building again.
        self.local: dict[str, Any] = {}
        self._closed = False

    def execute(self, sql: str, params: Params = None, *, step: str) -> duckdb.DuckDBPyConnection:
        return self.store.run(self.con, sql, params, step=step)

    def fetchall(self, sql: str, params: Params = None, *, step: str) -> list[tuple[Any, ...]]:
        return self.execute(sql, params, step=step).fetchall()

    def fetchone(self, sql: str, params: Params = None, *, step: str) -> tuple[Any, ...] | None:
        return self.execute(sql, params, step=step).fetchone()

    def fetch_dicts(self, sql: str, params: Params = None, *, step: str) -> list[dict[str, Any]]:
        cur = self.execute(sql, params, step=step)
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def register(self, name: str, relation: object) -> None:
        """Expose an Arrow table to SQL under ``name`` (zero-copy)."""
        self.con.register(name, relation)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        self.execute("BEGIN TRANSACTION", step="begin")
        try:
            yield self
        except BaseException:
            self.execute("ROLLBACK", step="rollback")
            raise
        self.execute("COMMIT", step="commit")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.con.close()
        self.store._session_closed()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def translate_error(exc: duckdb.Error, *, sql: str, step: str) -> StoreError:
    """Map driver errors to the small tree domain code understands: retryable or terminal."""
    message = f"{step} failed: {type(exc).__name__}: {exc}"
    text = str(exc).lower()
    if isinstance(exc, duckdb.TransactionException) and "constraint" in text:
        # Two transactions added the same key; the later commit loses. Not retryable as is,
        # but the caller can retry skipping what the other one stored.
        return ConstraintViolationError(message, sql=sql, step=step)
    if isinstance(exc, duckdb.TransactionException) and "conflict" in text:
        return RetryableStoreError(message, sql=sql, step=step)
    if isinstance(exc, duckdb.ConstraintException):
        return ConstraintViolationError(message, sql=sql, step=step)
    return StoreError(message, sql=sql, step=step)
