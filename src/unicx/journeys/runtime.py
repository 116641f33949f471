"""Journeys and delivery inside a running server: the journey thread, the dispatcher thread
and its pool of sending threads, and the scheduled audience syncs, sharing one clock."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from unicx.channels.audience_schedule import AudienceScheduler
from unicx.channels.outbox import DispatchResult, Outbox, Prepared
from unicx.channels.tracking import ensure_secret
from unicx.config import Settings
from unicx.errors import RetryableStoreError
from unicx.journeys.clock import Clock
from unicx.journeys.worker import JourneyEngine, JourneyWorker
from unicx.store import Store

log = logging.getLogger(__name__)
CRASH_POINTS = frozenset({"after_step_batch", "after_claim", "before_send", "after_send"})
DISPATCH_BATCH = 200
GATHER_S = 0.1
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
        self._pool = ThreadPoolExecutor(settings.send_workers, thread_name_prefix="unicx-send")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._dispatch, name="unicx-outbox", daemon=True)
        self._backlog = False  # the last claim took all it asked for: more are likely due
        # Steps before sends: on 2 cores and one GIL, the sending threads (building e-mails is
        # CPU work) would otherwise take the journey thread's share while it runs due steps,
        # and its lag grows with the send rate; a step is cheap, and it is the step that
        # decides whether a message goes at all (an exit, a condition, a timeout).
        self.outbox.before_send = lambda: self.engine.steps_idle.wait(STEPS_FIRST_S)
        if settings.crash_at:
            self.engine.crash_hook = self.outbox.crash_hook = _crash_at(settings.crash_at)

    def start(self) -> None:
        ensure_secret(self.outbox.store)
        resumed = self.outbox.recover()
        if resumed:
            log.warning(
                "%d messages were being sent when the server stopped; queued again", resumed
            )
        self.worker.start()
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
        # Claimed but not started: left 'sending', queued again by recover() at the next start.
        self._pool.shutdown(wait=True, cancel_futures=True)
        try:
            self.outbox.flush()
        except Exception:  # left 'handed_over': the next start logs them as sent
            log.exception("recording the last sent messages failed")

    def _dispatch(self) -> None:
        """Claim due messages while sending threads are free, without waiting for a batch to
        finish: one slow provider must not hold up everybody else's messages."""
        interval = self.settings.journey_tick_ms / 1000
        # Claimed ahead of the sending threads, so claims come in batches, not one by one.
        room = threading.Semaphore(DISPATCH_BATCH)
        while not self._stop.is_set():
            claimed = 0
            try:
                claimed = self._claim_some(room)
                self.outbox.flush()  # `sent` records of channels with no hand-over, idle ends
            except RetryableStoreError as exc:
                log.info("outbox claim conflicted with another writer, retrying: %s", exc)
            except Exception:
                log.exception("outbox dispatch failed; retrying")
                self._stop.wait(1.0)
            if not claimed:
                self._wake.wait(interval)
                self._wake.clear()

    def _gather(self, room: threading.Semaphore) -> int:
        """Free sending slots to claim for. With a backlog (the last claim was full), wait up
        to GATHER_S for a quarter of the batch: a claim costs tens of milliseconds whatever
        its size, so claiming for every freed slot would spend the time claiming."""
        if not room.acquire(timeout=0.2):
            return 0
        free, deadline = 1, time.monotonic() + GATHER_S
        while free < DISPATCH_BATCH:
            if room.acquire(blocking=False):
                free += 1
                continue
            if not self._backlog or free >= DISPATCH_BATCH // 4:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not room.acquire(timeout=remaining):
                break
            free += 1
        return free

    def _claim_some(self, room: threading.Semaphore) -> int:
        free = self._gather(room)
        if not free:
            return 0
        self.engine.steps_idle.wait(STEPS_FIRST_S)  # claiming and rendering are CPU work too
        now = self.clock.now()
        claimed = self.outbox.claim(now, free, DispatchResult())
        self._backlog = len(claimed) == free
        try:
            ready = self.outbox.prepare(claimed, now, DispatchResult())
        except Exception:
            # Left 'sending': recovered (sent again) at the next start, never dropped.
            for _ in range(free):
                room.release()
            raise
        for _ in range(free - len(ready)):
            room.release()

        def deliver(item: Prepared) -> None:
            try:
                self.outbox.deliver(item, now, DispatchResult())
            except Exception:
                # Left 'sending': recovered (sent again) at the next start, never dropped.
                log.exception("delivering %s failed", item.row["message_id"])
            finally:
                room.release()

        for item in ready:
            self._pool.submit(deliver, item)
        return len(claimed)


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
