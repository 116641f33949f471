"""Scheduled ad-audience syncs while the server runs (``config.every`` on a sync).

A sync is due once its last run — asked for or scheduled — is ``every`` or longer ago on the
messaging clock, so a test or demo that moves the clock (``clock_control``) sees the runs it
expects. A never-run sync is due at once. Due syncs run one at a time on a thread of their own
(the runtime's, which calls :meth:`AudienceScheduler.run_due` every :data:`CHECK_EVERY_S` and
when woken): a big segment takes seconds to diff and hash, which must not hold up journey steps
or sends.

A run that fails (its segment was deleted, the disk is full) leaves no files and no state
(:func:`unicx.channels.audiences.run_sync` is atomic), so it is simply tried again at the next
check; it is logged once per distinct error, not every minute.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from unicx.channels.audiences import AudienceSync, SyncRun, list_syncs, run_sync
from unicx.clock import Clock
from unicx.config import Settings
from unicx.errors import UnicxError
from unicx.store import Store

log = logging.getLogger(__name__)
CHECK_EVERY_S = 60.0


def due_syncs(syncs: list[AudienceSync], now: datetime) -> list[AudienceSync]:
    """The scheduled syncs whose next run is due at ``now``, oldest last run first."""
    due = []
    for sync in syncs:
        every = sync.config.every_seconds
        if every is None:
            continue
        if sync.last_run_at is None or now - sync.last_run_at >= timedelta(seconds=every):
            due.append(sync)
    return sorted(due, key=lambda s: (s.last_run_at is not None, s.last_run_at or now))


class AudienceScheduler:
    def __init__(self, store: Store, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._closing = threading.Event()
        self._failed: dict[str, str] = {}  # sync id → the error last logged for it

    def close(self) -> None:
        """The server stops: run no further sync (the one running finishes)."""
        self._closing.set()

    def run_due(self) -> list[SyncRun]:
        done = []
        for sync in due_syncs(list_syncs(self._store), self._clock.now()):
            if self._closing.is_set():
                break
            try:
                run = run_sync(
                    self._store,
                    self._settings,
                    sync.sync_id,
                    mode=sync.config.mode,
                    now=self._clock.now(),
                )
            except UnicxError as exc:
                if self._failed.get(sync.sync_id) != str(exc):
                    log.warning("scheduled audience sync %r failed: %s", sync.name, exc)
                    self._failed[sync.sync_id] = str(exc)
                continue
            self._failed.pop(sync.sync_id, None)
            log.info(
                "scheduled audience sync %r: %d added, %d removed",
                sync.name,
                run.added,
                run.removed,
            )
            done.append(run)
        return done
