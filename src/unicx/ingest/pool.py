"""Batch validation in worker processes, so it does not compete with the writer for the GIL.

The server process keeps HTTP, the writer and DuckDB; a worker decodes and validates a batch
body, enriches it and builds the Arrow table, then hands back Arrow IPC bytes plus the keys
and issues. Only plain data crosses the process boundary (exceptions with keyword-only
arguments do not survive pickling, so errors come back as values).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import pyarrow as pa

from unicx.errors import FieldIssue, PayloadTooLargeError, ValidationError
from unicx.ingest import enrich
from unicx.ingest.models import Limits, RequestInfo
from unicx.ingest.schema import MESSAGE_ID_INDEX, SOURCE_ID_INDEX, rows_to_arrow
from unicx.ingest.validate import decode_batch
from unicx.ingest.writer import ArrowBatch

log = logging.getLogger(__name__)

# Below this a body costs less to validate than to ship to another process and back.
MIN_POOLED_BYTES = 8 * 1024


@dataclass(frozen=True, slots=True)
class PooledBatch:
    batch: ArrowBatch
    issues: list[FieldIssue]


@dataclass(frozen=True, slots=True)
class _WorkerResult:
    """What a worker sends back: plain, picklable data."""

    ipc: bytes = b""
    keys: tuple[tuple[str, str], ...] = ()
    issues: tuple[FieldIssue, ...] = ()
    error: str | None = None
    too_large: bool = False


def _decode_in_worker(body: bytes, info: RequestInfo, limits: Limits) -> _WorkerResult:
    try:
        decoded = decode_batch(body, info=info, limits=limits)
    except ValidationError as exc:
        too_large = isinstance(exc, PayloadTooLargeError)
        return _WorkerResult(issues=tuple(exc.issues), error=exc.message, too_large=too_large)
    table = rows_to_arrow(decoded.rows)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as stream:
        stream.write_table(table)
    keys = tuple((str(r[SOURCE_ID_INDEX]), str(r[MESSAGE_ID_INDEX])) for r in decoded.rows)
    return _WorkerResult(sink.getvalue().to_pybytes(), keys, tuple(decoded.issues))


def _init_worker(parent_pid: int | None = None) -> None:
    enrich.warm_up()
    if parent_pid is not None:
        # A SIGKILLed server cannot shut its pool down: its workers notice and leave.
        threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(0)


class ValidatorPool:
    """A small process pool; falls back to validating in-process if a worker dies."""

    def __init__(self, processes: int, limits: Limits) -> None:
        self._processes = processes
        self._limits = limits
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        # spawn, not fork: the server process has threads (writer, DuckDB) a fork would copy.
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            self._processes,
            mp_context=context,
            initializer=_init_worker,
            initargs=(os.getpid(),),
        )

    def warm_up(self) -> None:
        """Start the workers now rather than inside the first request."""
        for future in [self._executor.submit(enrich.warm_up) for _ in range(self._processes)]:
            future.result()

    async def decode_batch(self, body: bytes, info: RequestInfo) -> PooledBatch:
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                self._executor, _decode_in_worker, body, info, self._limits
            )
        except BrokenProcessPool:
            log.error("validation worker died; restarting the pool, validating in-process")
            self._executor = self._new_executor()
            result = _decode_in_worker(body, info, self._limits)
        return _unpack(result)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _unpack(result: _WorkerResult) -> PooledBatch:
    if result.error is not None:
        error = PayloadTooLargeError if result.too_large else ValidationError
        raise error(result.error, issues=list(result.issues))
    table = pa.ipc.open_stream(result.ipc).read_all()
    return PooledBatch(ArrowBatch(table, list(result.keys)), list(result.issues))
