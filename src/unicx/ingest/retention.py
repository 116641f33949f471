"""Event retention: the events table must not grow until the machine falls over.

Events older than the workspace's retention (by event ``timestamp``) are deleted in one
statement, then a checkpoint lets DuckDB reuse the space. Nothing is pruned unless a retention
is set (``events_retention_days``) or asked for (``unicx events prune``).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from unicx.errors import StoreError
from unicx.store import Store

log = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=24)


def prune_events(store: Store, *, older_than_days: int, now: datetime | None = None) -> int:
    """Delete events timestamped more than ``older_than_days`` ago; returns how many."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
    with store.session() as s:
        row = s.fetchone(
            "DELETE FROM events WHERE timestamp < ?",
            [cutoff],
            step="events.prune",
        )
        deleted = int(row[0]) if row else 0
        if deleted:
            # Reclaims the space now; when another write is in flight (the writer, the profile
            # updater) it cannot run, and the next automatic checkpoint does it instead.
            try:
                s.execute("CHECKPOINT", step="events.prune_checkpoint")
            except StoreError as exc:
                log.info("checkpoint after pruning deferred: %s", exc)
    log.info("pruned %d events older than %s", deleted, cutoff.isoformat())
    return deleted


class RetentionScheduler:
    """Prunes at start and then every :data:`PRUNE_EVERY` while the server runs."""

    def __init__(self, store: Store, *, days: int) -> None:
        self._store = store
        self._days = days
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="unicx-retention", daemon=True)

    def start(self) -> None:
        """Prune once now (before the server takes requests), then daily in the background."""
        self._prune()
        self._thread.start()

    def _prune(self) -> None:
        try:
            prune_events(self._store, older_than_days=self._days)
        except StoreError:
            # A busy or failing store: try again next round rather than stop pruning.
            log.exception("event pruning failed; next attempt in %s", PRUNE_EVERY)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.wait(PRUNE_EVERY.total_seconds()):
            self._prune()
