"""Keeping profiles current: identity resolution and derived tables after every ingest flush.

The writer tells the updater, after each commit, the earliest ``received_at`` it stored; the
updater thread then resolves every event received since then (identity, traits, consent) in
one transaction. Passes are idempotent, so overlapping windows only cost time. The start of the
last pass is kept in ``workspace_meta`` and a server start catches up from there (with slack
for events stamped before a pass but committed after it).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from unicx.background import lower_priority
from unicx.config import Settings
from unicx.identity.service import IdentityService, ResolveResult
from unicx.profiles.downstream import chain
from unicx.profiles.passlog import PassLog, PipelineStatus
from unicx.store import Store

log = logging.getLogger(__name__)

WATERMARK_KEY = "profiles.watermark"
# Longer than any event waits between being stamped and being committed.
CATCH_UP_SLACK = timedelta(minutes=5)
# The longest pause between passes however long the last one took (bounds the lag it adds).
MAX_PAUSE_S = 30.0
# A pause ends early once no commit came for this long: the burst is over, catch up now.
QUIET_S = 0.2


def read_watermark(store: Store) -> datetime | None:
    with store.session() as s:
        row = s.fetchone(
            "SELECT value FROM workspace_meta WHERE key = ?", [WATERMARK_KEY], step="profiles.wm"
        )
    return datetime.fromisoformat(str(row[0])) if row else None


def _write_watermark(store: Store, at: datetime) -> None:
    with store.session() as s:
        s.execute(
            "INSERT INTO workspace_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
            "excluded.value",
            [WATERMARK_KEY, at.isoformat()],
            step="profiles.wm_write",
        )


def update_profiles(
    store: Store, settings: Settings, *, since: datetime | None = None
) -> ResolveResult:
    """Resolve events received at/after ``since`` (default: everything since the last recorded
    pass, with slack) and refresh the derived tables of the profiles they touch."""
    started = datetime.now(UTC)
    if since is None:
        mark = read_watermark(store)
        since = mark - CATCH_UP_SLACK if mark is not None else None
    result = IdentityService(store, settings).resolve_since(since)
    _catalog_from_events(store, since)
    if since is None or read_watermark(store) is None:
        _write_watermark(store, started)
    return result


def _catalog_from_events(store: Store, since: datetime | None) -> None:
    """Product names, prices, ... that the same events describe (recommend/catalog_events.py);
    one statement per pass, so imports (which end with a pass) fill the catalog too."""
    # Installed, not imported: recommend sits above profiles (profiles/downstream.py).
    with store.session() as s:
        chain().catalog(s, since=since)


class ProfileUpdater:
    """The background thread that runs :func:`update_profiles` after ingest commits."""

    def __init__(self, store: Store, settings: Settings, *, batch_delay_s: float = 0.05) -> None:
        self._store = store
        self._settings = settings
        self._delay = batch_delay_s
        self._cond = threading.Condition()
        self._pending: datetime | None = None
        self._catch_up = True
        self._busy = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="unicx-profiles", daemon=True)
        self.passes = 0
        self.log = PassLog()
        self._last_commit = 0.0  # time.monotonic() of the last notify

    def start(self) -> None:
        self._thread.start()

    def notify(self, earliest: datetime) -> None:
        """Writer hook: events received at/after ``earliest`` were just committed."""
        self.log.committed()
        with self._cond:
            self._last_commit = time.monotonic()
            if self._pending is None or earliest < self._pending:
                self._pending = earliest
            self._cond.notify()

    def stop(self, timeout: float = 30.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def status(self, *, after: float = 0.0, limit: int = 1000) -> PipelineStatus:
        """Lag and recent passes, for GET /v1/pipeline and the ingest benchmark."""
        with self._cond:
            busy = self._busy
        return self.log.status(busy=busy, after=after, limit=limit)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once nothing is pending or running (for tests and graceful stops)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending is not None or self._busy or self._catch_up:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _pause(self, last_pass_s: float) -> None:
        """Wait after a pass so that passes take at most ``pipeline_share`` of the time: under
        load the commits pile up meanwhile and the next pass takes them all at once, which
        costs less per event than many small passes (each re-reads the touched profiles).
        When the commits stop the pause ends: nothing is gained by waiting then."""
        share = self._settings.pipeline_share
        pause = min(MAX_PAUSE_S, max(self._delay, last_pass_s * (1 - share) / share))
        deadline = time.monotonic() + pause
        with self._cond:
            while not self._stopping and (left := deadline - time.monotonic()) > 0:
                if time.monotonic() - self._last_commit >= QUIET_S + self._delay:
                    return
                self._cond.wait(min(left, QUIET_S))

    def _take(self) -> tuple[bool, datetime | None, float] | None:
        with self._cond:
            while self._pending is None and not self._catch_up and not self._stopping:
                self._cond.wait()
            if self._stopping and self._pending is None:
                return None
            catch_up, since = self._catch_up, self._pending
            self._catch_up, self._pending, self._busy = False, None, True
            return catch_up, since, self.log.begin()

    def _run(self) -> None:
        lower_priority()  # under ingest load the profiles lag, not the acks
        while (taken := self._take()) is not None:
            catch_up, since, began = taken
            started = datetime.now(UTC)
            ok = False
            try:
                update_profiles(self._store, self._settings, since=None if catch_up else since)
                _write_watermark(self._store, started - timedelta(seconds=1))
                self.passes += 1
                ok = True
            except Exception:
                # Keep the window and try again: losing it would leave events unresolved.
                log.exception("profile update pass failed; retrying in 1 s")
                time.sleep(1.0)
                with self._cond:
                    if since is not None:
                        self.notify(since)
                    else:
                        self._catch_up = True
            finally:
                window = None if catch_up or since is None else since.timestamp()
                self.log.end(began, window, ok=ok)
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
            self._pause(time.time() - began)
