"""Writes that need not be durable before their caller goes on ride with the next write that
must be: one transaction instead of two.

The outbox's sending threads record ``sent`` this way: until the row is written the message is
``handed_over``, which a restart logs as sent anyway, so the row can wait for the next
hand-over commit (``commit``) or a flush from the dispatcher (``flush``). A commit costs about
a millisecond whatever it holds, and DuckDB runs one at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from unicx.errors import RetryableStoreError
from unicx.store.store import Session, Store

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRIES = 3


class DeferredWrites(Generic[T]):
    def __init__(self, store: Store, write: Callable[[Session, list[T]], None]) -> None:
        self._store = store
        self._write = write
        self._lock = threading.Lock()
        self._waiting: list[T] = []

    def later(self, item: T) -> None:
        """Write ``item`` with the next commit or flush, without waiting for it."""
        with self._lock:
            self._waiting.append(item)

    def commit(self, item: T) -> None:
        """Write ``item`` now, in the caller's own transaction (not after anybody else's), with
        the deferred items; raise if ``item`` could not be written."""
        riders = self._take()
        error = self._commit([item, *riders])
        if error is not None and riders:
            # One bad item must not take the others down: each part on its own.
            error = self._commit([item])
            self._commit_riders(riders)
        if error is not None:
            raise error

    def flush(self) -> None:
        """Write the deferred items now (nothing happens when there are none)."""
        riders = self._take()
        if riders:
            self._commit_riders(riders)

    def _take(self) -> list[T]:
        with self._lock:
            riders, self._waiting = self._waiting, []
        return riders

    def _commit_riders(self, riders: list[T]) -> None:
        if (lost := self._commit(riders)) is not None:
            log.warning("%d deferred writes lost: %s", len(riders), lost)

    def _commit(self, items: list[T]) -> BaseException | None:
        for attempt in range(RETRIES):
            try:
                with self._store.session() as s, s.transaction():
                    self._write(s, items)
                return None
            except RetryableStoreError as exc:  # another writer touched the same rows
                if attempt == RETRIES - 1:
                    return exc
            except Exception as exc:  # noqa: BLE001 (raised to the caller, or logged)
                return exc
        raise AssertionError("unreachable")
