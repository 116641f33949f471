"""The single event writer: group commit of many requests into one DuckDB transaction.

Requests hand their rows to :meth:`EventWriter.submit` and wait on the returned future; the
writer thread takes everything waiting (after at most ``flush_interval`` for others to join),
appends it through Arrow with ``INSERT OR IGNORE`` on (source_id, message_id), commits, and only
then resolves the futures. So a 200 means committed, and throughput comes from batching
requests rather than from one commit per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from unicx.errors import ConstraintViolationError, ShuttingDownError, StoreError, UnicxError
from unicx.ingest.schema import (
    COLUMN_NAMES,
    EVENT_KEY_SQL,
    MESSAGE_ID_INDEX,
    SOURCE_ID_INDEX,
    EventRow,
    rows_to_arrow,
)
from unicx.store import Session, Store

log = logging.getLogger(__name__)

INSERT_SQL = (
    f"INSERT OR IGNORE INTO events (event_key, {', '.join(COLUMN_NAMES)}) "
    f"SELECT {EVENT_KEY_SQL}, {', '.join(COLUMN_NAMES)} FROM flush_batch"
)
# DuckDB's conflict handling (OR IGNORE) costs about as much CPU as the insert itself even when
# nothing conflicts (bench/RESULTS.md). Duplicates are rare (client retries), so a flush first
# tries a plain INSERT, which the primary key still guards, and falls back on a violation.
INSERT_NEW_SQL = INSERT_SQL.replace("INSERT OR IGNORE INTO", "INSERT INTO", 1)
# RETURNING lists only the rows OR IGNORE kept, so each request learns exactly how many of its
# events were new even when racing writers stored some of them first.
INSERT_DEDUPE_SQL = f"{INSERT_SQL} RETURNING source_id, message_id"
# After a violation, this many flushes go straight to OR IGNORE: a client retrying a backlog
# sends duplicates in every flush, and a failed plain INSERT would double their cost.
IGNORE_AFTER_CONFLICT = 20
# Each retry can only lose to a writer that committed meanwhile; a few rounds settle any race.
RACE_RETRIES = 5


class OverloadedError(UnicxError):
    """More events wait for the writer than allowed; the client should retry shortly."""

    code = "overloaded"
    retryable = True


@dataclass(slots=True)
class ArrowBatch:
    """Events already in Arrow form (built off the writer's thread, e.g. in a worker process),
    with their (source_id, message_id) keys for deduplication inside a flush."""

    table: pa.Table
    keys: list[tuple[str, str]]


@dataclass(slots=True)
class _Pending:
    rows: list[EventRow]
    future: Future[int]
    batch: ArrowBatch | None = None

    @property
    def size(self) -> int:
        return len(self.batch.keys) if self.batch is not None else len(self.rows)


@dataclass(slots=True)
class WriterStats:
    flushes: int = 0
    events_written: int = 0
    duplicates: int = 0


class EventWriter:
    """Owns the connections that append events. Start once, stop once.

    ``threads`` writer threads take flushes from one queue. DuckDB releases the GIL while it
    inserts and commits, and appends from separate connections run concurrently, so while one
    thread commits the next flush is already being inserted (in-process about 1.6x the rate of
    one thread; over HTTP the GIL bounds the server and one thread is the default). The primary
    key still decides duplicates across threads: the commit that loses a race on a key fails
    and is retried skipping stored keys.
    """

    def __init__(
        self,
        store: Store,
        *,
        flush_interval_s: float = 0.002,
        flush_max_events: int = 10_000,
        queue_max: int = 200_000,
        threads: int = 1,
    ) -> None:
        self._store = store
        self._interval = flush_interval_s
        self._max_events = flush_max_events
        self._queue_max = queue_max
        self._pending: list[_Pending] = []
        self._pending_events = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._run, name=f"unicx-writer-{i}", daemon=True)
            for i in range(max(1, threads))
        ]
        self._ignore_flushes = 0
        # Called after each commit that stored events, with the earliest received_at among
        # them: the profile updater resolves from there (events are stamped before they queue,
        # so a later commit can carry an earlier stamp).
        self.on_commit: Callable[[datetime], None] | None = None
        self._stats_lock = threading.Lock()
        self.stats = WriterStats()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, rows: list[EventRow]) -> Future[int]:
        """Queue rows; the future resolves to the number newly stored once committed."""
        return self._enqueue(_Pending(rows, Future()))

    def submit_batch(self, batch: ArrowBatch) -> Future[int]:
        """Queue events already converted to Arrow; resolves like :meth:`submit`."""
        return self._enqueue(_Pending([], Future(), batch))

    def _enqueue(self, item: _Pending) -> Future[int]:
        if item.size == 0:
            item.future.set_result(0)
            return item.future
        with self._cond:
            if self._stopping:
                raise ShuttingDownError("server is shutting down")
            if self._pending_events + item.size > self._queue_max:
                raise OverloadedError(f"{self._pending_events} events already wait for the writer")
            self._pending.append(item)
            self._pending_events += item.size
            self._cond.notify()
        return item.future

    def stop(self, timeout: float = 30.0) -> None:
        """Refuse new work, flush everything already accepted, then end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))

    def _take(self) -> list[_Pending] | None:
        with self._cond:
            while not self._pending and not self._stopping:
                self._cond.wait()
            if not self._pending:
                return None
            deadline = time.monotonic() + self._interval
            while (
                not self._stopping
                and self._pending_events < self._max_events
                and (left := deadline - time.monotonic()) > 0
            ):
                self._cond.wait(left)
            taken, self._pending, self._pending_events = self._pending, [], 0
            return taken

    def _run(self) -> None:
        # A cursor per flush, not per thread life: erasure rewrites the database file and
        # waits for every session to end (unicx.store.compact).
        while (taken := self._take()) is not None:
            with self._store.session() as session:
                try:
                    self._flush(session, taken)
                except Exception as exc:
                    # A bug here must fail these requests loudly, not kill the thread and leave
                    # every later request waiting for a writer that is gone.
                    log.exception("flush failed unexpectedly")
                    for item in taken:
                        if not item.future.done():
                            item.future.set_exception(exc)

    def _flush(self, session: Session, taken: list[_Pending]) -> None:
        try:
            counts = self._write(session, taken)
        except StoreError:
            log.exception("group flush of %d requests failed; retrying one by one", len(taken))
            counts = None
        if counts is not None:
            for item, count in zip(taken, counts, strict=True):
                item.future.set_result(count)
            return
        # Isolate the request that broke the group so the others still commit.
        for item in taken:
            try:
                (count,) = self._write(session, [item])
            except StoreError as exc:
                item.future.set_exception(exc)
            else:
                item.future.set_result(count)

    def _write(self, session: Session, taken: list[_Pending]) -> list[int]:
        seen: set[tuple[object, object]] = set()
        rows: list[EventRow] = []
        tables: list[pa.Table] = []
        # The keys each request contributes to this flush (a key repeated by a later request of
        # the same flush belongs to the first), so a partial insert can be attributed exactly.
        keys: list[list[tuple[object, object]]] = []
        for item in taken:
            if item.batch is not None:
                table, fresh = _unseen(item.batch, seen)
                tables.append(table)
                keys.append(fresh)
                continue
            mine: list[tuple[object, object]] = []
            for row in item.rows:
                key = (row[SOURCE_ID_INDEX], row[MESSAGE_ID_INDEX])
                if key not in seen:
                    seen.add(key)
                    rows.append(row)
                    mine.append(key)
            keys.append(mine)
        if rows or not tables:
            tables.append(rows_to_arrow(rows))
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        total = table.num_rows
        session.register("flush_batch", table)
        try:
            stored = self._insert(session)
        finally:
            session.unregister("flush_batch")
        inserted = total if stored is None else len(stored)
        if inserted and self.on_commit is not None:
            earliest = pc.min(table.column("received_at")).as_py()
            if earliest is not None:
                self.on_commit(earliest)
        with self._stats_lock:
            self.stats.flushes += 1
            self.stats.events_written += inserted
            self.stats.duplicates += sum(i.size for i in taken) - inserted
        if stored is None:
            return [len(mine) for mine in keys]
        return [sum(1 for key in mine if key in stored) for mine in keys]

    def _insert(self, session: Session) -> set[tuple[object, object]] | None:
        """INSERT the registered flush_batch, skipping keys already stored.

        Returns None when every row was new, else the keys actually stored."""
        with self._stats_lock:
            plain = self._ignore_flushes == 0
            if not plain:
                self._ignore_flushes -= 1
        if plain:
            try:
                session.execute(INSERT_NEW_SQL, step="ingest.flush")
                return None
            except ConstraintViolationError:
                # The failed statement rolled back as a whole; insert again, skipping duplicates.
                with self._stats_lock:
                    self._ignore_flushes = IGNORE_AFTER_CONFLICT
        for attempt in range(RACE_RETRIES):
            try:
                returned = session.fetchall(INSERT_DEDUPE_SQL, step="ingest.flush_dedupe")
            except ConstraintViolationError:
                # Another writer committed one of these keys after our statement began.
                if attempt == RACE_RETRIES - 1:
                    raise
            else:
                return {(source_id, message_id) for source_id, message_id in returned}
        raise AssertionError("unreachable")


def _unseen(
    batch: ArrowBatch, seen: set[tuple[object, object]]
) -> tuple[pa.Table, list[tuple[object, object]]]:
    """The batch's rows whose key no earlier request of this flush carried (usually all), and
    their keys."""
    keep = []
    fresh: list[tuple[object, object]] = []
    for key in batch.keys:
        new = key not in seen
        seen.add(key)
        keep.append(new)
        if new:
            fresh.append(key)
    table = batch.table if len(fresh) == len(keep) else batch.table.filter(pa.array(keep))
    return table, fresh
