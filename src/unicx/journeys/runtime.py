"""Journeys and delivery inside a running server: the journey engine, a delivery lane per
channel (its claims and sending threads, :mod:`unicx.channels.lanes`) woken by one scout, and
the scheduled audience syncs, sharing one clock. The runtime (unicx/runtime/chain.py) runs
their steps on its workers: the engine's tick, :meth:`Messaging.scout`, each lane's drain and
the audience check."""

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
from unicx.journeys.worker import JourneyEngine
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
        # Wakes a lane's worker (the runtime sets it; without one nothing drains the lanes).
        self.wake_lane: Callable[[str], None] = lambda name: None
        if settings.crash_at:
            self.engine.crash_hook = self.outbox.crash_hook = _crash_at(settings.crash_at)

    def _steps_first(self) -> bool:
        return self.engine.steps_idle.wait(STEPS_FIRST_S)

    def open(self) -> None:
        """Before any worker starts: the tracking secret, and the sends a stop cut short."""
        ensure_secret(self.outbox.store)
        resumed = self.outbox.recover()
        if resumed:
            log.warning(
                "%d messages were being sent when the server stopped; queued again", resumed
            )

    def scout(self) -> None:
        """Each tick, wake the lanes whose channel has messages due (one query for all of
        them), and write the `sent` records still deferred (channels with no hand-over)."""
        for name in self.outbox.due_lanes(self.clock.now()):
            self.wake_lane(name)
        self.outbox.flush()

    def close(self) -> None:
        """After every worker stopped: let started sends finish, record the last ones sent."""
        for lane in self.lanes.values():
            lane.shutdown()
        try:
            self.outbox.flush()
        except Exception:  # left 'handed_over': the next start logs them as sent
            log.exception("recording the last sent messages failed")


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
