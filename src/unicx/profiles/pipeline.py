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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

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
    """Runs :func:`update_profiles` after ingest commits, paced so that ingest is never starved.

    The writer calls :meth:`notify` after each commit; :meth:`run_pass` (the runtime runs it on
    a background thread, woken through :attr:`wake`) takes every commit handed over so far,
    resolves them in one pass, then pauses (``pipeline_share``). A failed pass keeps its window
    and raises, for the caller to retry. :attr:`after_pass` is told of every pass that ran.
    """

    def __init__(self, store: Store, settings: Settings, *, batch_delay_s: float = 0.05) -> None:
        self._store = store
        self._settings = settings
        self._delay = batch_delay_s
        self._cond = threading.Condition()
        self._pending: datetime | None = None
        self._catch_up = True
        self._busy = False
        self._stopping = False
        self.passes = 0
        self.log = PassLog()
        self._last_commit = 0.0  # time.monotonic() of the last notify
        self.wake: Callable[[], None] = _nothing  # asks for run_pass now
        self.after_pass: Callable[[], None] = _nothing

    def notify(self, earliest: datetime) -> None:
        """Writer hook: events received at/after ``earliest`` were just committed."""
        self.log.committed()
        with self._cond:
            self._last_commit = time.monotonic()
            if self._pending is None or earliest < self._pending:
                self._pending = earliest
            self._cond.notify()
        self.wake()

    def close(self) -> None:
        """The server stops: end a pause now (work already handed over still runs)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def status(self, *, after: float = 0.0, limit: int = 1000) -> PipelineStatus:
        """Lag and recent passes, for GET /v1/pipeline and the ingest benchmark."""
        with self._cond:
            busy = self._busy
        return self.log.status(busy=busy, after=after, limit=limit)

    def lag_s(self) -> float:
        """How long the oldest commit not yet in profiles has waited (0: caught up)."""
        return self.log.lag_s()

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

    def run_pass(self) -> bool:
        """One pass over every commit handed over so far, then the pause; False if none was
        waiting. The first pass catches up from the watermark of the last server run."""
        taken = self._take()
        if taken is None:
            return False
        catch_up, since, began = taken
        started = datetime.now(UTC)
        ok = False
        try:
            update_profiles(self._store, self._settings, since=None if catch_up else since)
            _write_watermark(self._store, started - timedelta(seconds=1))
            self.passes += 1
            ok = True
        finally:
            self._finish(catch_up, since, began, ok=ok)
        self.after_pass()
        self._pause(time.time() - began)
        return True

    def _take(self) -> tuple[bool, datetime | None, float] | None:
        with self._cond:
            if self._pending is None and not self._catch_up:
                return None
            catch_up, since = self._catch_up, self._pending
            self._catch_up, self._pending, self._busy = False, None, True
            return catch_up, since, self.log.begin()

    def _finish(self, catch_up: bool, since: datetime | None, began: float, *, ok: bool) -> None:
        if not ok:
            # Keep the window for the retry: losing it would leave events unresolved.
            if since is not None:
                self.notify(since)
            else:
                with self._cond:
                    self._catch_up = True
        window = None if catch_up or since is None else since.timestamp()
        self.log.end(began, window, ok=ok)
        with self._cond:
            self._busy = False
            self._cond.notify_all()

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


def _nothing() -> None:
    """No runtime attached (tests, the CLI): nobody to wake or tell."""
