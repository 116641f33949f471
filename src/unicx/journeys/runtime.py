"""Journeys and delivery inside a running server: the journey thread, a delivery lane per
channel (its claims and sending threads, :mod:`unicx.channels.lanes`) woken by one scout, and
the scheduled audience syncs, sharing one clock."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from unicx.channels.audience_schedule import AudienceScheduler
from unicx.channels.base import channel_names
from unicx.channels.lanes import Lane
from unicx.channels.outbox import OTHER_LANE, Outbox
from unicx.channels.tracking import ensure_secret
from unicx.clock import Clock
from unicx.config import Settings
from unicx.errors import RetryableStoreError
from unicx.journeys.worker import JourneyEngine, JourneyWorker
from unicx.store import Store

log = logging.getLogger(__name__)
CRASH_POINTS = frozenset({"after_step_batch", "after_claim", "before_send", "after_send"})
# The longest a sending thread waits for due journey steps to finish before it sends anyway.
STEPS_FIRST_S = 1.0


class Messaging:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Clock,
        *,
        recommendations: Callable[[str, int], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.engine = JourneyEngine(store, settings, clock)
        self.outbox = Outbox(store, settings, clock, recommendations=recommendations)
        self.worker = JourneyWorker(self.engine)
        self.audiences = AudienceScheduler(store, settings, clock)
        # Steps before sends: on 2 cores and one GIL, the sending threads (building e-mails is
        # CPU work) would otherwise take the journey thread's share while it runs due steps,
        # and its lag grows with the send rate; a step is cheap, and it is the step that
        # decides whether a message goes at all (an exit, a condition, a timeout).
        self.outbox.before_send = self._steps_first
        self.lanes = {
            name: Lane(
                name, self.outbox, clock, settings.send_workers, before_claim=self._steps_first
            )
            for name in [*channel_names(), OTHER_LANE]
        }
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._scout, name="unicx-outbox", daemon=True)
        if settings.crash_at:
            self.engine.crash_hook = self.outbox.crash_hook = _crash_at(settings.crash_at)

    def _steps_first(self) -> bool:
        return self.engine.steps_idle.wait(STEPS_FIRST_S)

    def start(self) -> None:
        ensure_secret(self.outbox.store)
        resumed = self.outbox.recover()
        if resumed:
            log.warning(
                "%d messages were being sent when the server stopped; queued again", resumed
            )
        self.worker.start()
        for lane in self.lanes.values():
            lane.start()
        self._thread.start()
        self.audiences.start()

    def wake(self) -> None:
        """Look now (after a clock move, a publish, a replay) instead of at the next tick."""
        self.worker.wake()
        self._wake.set()
        self.audiences.wake()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.audiences.stop()
        self.worker.stop()
        if self._thread.is_alive():
            self._thread.join(30)
        for lane in self.lanes.values():
            lane.stop()
        try:
            self.outbox.flush()
        except Exception:  # left 'handed_over': the next start logs them as sent
            log.exception("recording the last sent messages failed")

    def _scout(self) -> None:
        """Each tick, wake the lanes whose channel has messages due (one query for all of
        them), and write the `sent` records still deferred (channels with no hand-over)."""
        interval = self.settings.journey_tick_ms / 1000
        while not self._stop.is_set():
            try:
                for name in self.outbox.due_lanes(self.clock.now()):
                    self.lanes[name].wake()
                self.outbox.flush()
            except RetryableStoreError as exc:
                log.info("outbox look-up conflicted with another writer, retrying: %s", exc)
            except Exception:
                log.exception("outbox look-up failed; retrying")
                self._stop.wait(1.0)
            self._wake.wait(interval)
            self._wake.clear()


def _crash_at(spec: str) -> Callable[[str], None]:
    """The crash tests' hook: SIGKILL this process (no cleanup, no flush, like a power cut) the
    n-th time ``point`` is reached. Settings refuse it in production."""
    point, _, nth = spec.partition(":")
    if point not in CRASH_POINTS:
        raise ValueError(f"crash_at: unknown point {point!r}; one of {sorted(CRASH_POINTS)}")
    remaining = [int(nth)]
    lock = threading.Lock()

    def hook(reached: str) -> None:
        if reached != point:
            return
        with lock:
            remaining[0] -= 1
            if remaining[0] == 0:
                log.warning("crash_at=%s: killing the server now", spec)
                os.kill(os.getpid(), signal.SIGKILL)

    return hook
