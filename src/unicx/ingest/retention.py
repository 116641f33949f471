"""Event retention: the events table must not grow until the machine falls over.

Events older than the workspace's retention (by event ``timestamp``) are deleted in one
statement, then a checkpoint lets DuckDB reuse the space. Nothing is pruned unless a retention
is set (``events_retention_days``: the runtime prunes at start, before the server takes requests,
and then every :data:`PRUNE_EVERY`) or asked for (``unicx events prune``).
"""

from __future__ import annotations

import logging
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
