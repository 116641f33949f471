"""Delivery lanes: each channel claims and sends its own messages with its own threads.

With one pool for every channel, a webhook receiver that hangs until its timeout (10 s by
default) holds every sending thread, and e-mails, SMS and in-app messages due at the same
moment wait behind it. A lane per channel bounds the damage to the channel whose provider is
slow. A lane's :meth:`Lane.drain` runs on a thread of its own (the runtime's lane worker) when
the scout (one query per tick for the channels with due messages) wakes it, and every
:data:`IDLE_RECHECK_S` should a wake-up be missed; it claims in batches until its channel has
nothing due.

Claims stay one at a time across lanes (``Outbox.claim``), since caps across channels count
what other claims approved; only sending runs in parallel.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from unicx.channels.outbox import DispatchResult, Outbox, Prepared
from unicx.clock import Clock
from unicx.errors import RetryableStoreError

log = logging.getLogger(__name__)
DISPATCH_BATCH = 200
GATHER_S = 0.1
IDLE_RECHECK_S = 5.0


class Lane:
    def __init__(
        self,
        name: str,
        outbox: Outbox,
        clock: Clock,
        workers: int,
        *,
        before_claim: Callable[[], object] | None = None,
    ) -> None:
        self.name = name
        self._outbox = outbox
        self._clock = clock
        self._before_claim = before_claim
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix=f"unicx-send-{name}")
        self._stop = threading.Event()
        self._backlog = False  # the last claim took all it asked for: more are likely due
        # Claimed ahead of the sending threads, so claims come in batches, not one by one.
        self._room = threading.Semaphore(DISPATCH_BATCH)

    def drain(self) -> None:
        """Claim and hand to the sending threads until the channel has nothing due."""
        while not self._stop.is_set():
            try:
                if not self._claim_some():
                    return
            except RetryableStoreError as exc:
                log.info("%s: claim conflicted with another writer, retrying: %s", self.name, exc)

    def close(self) -> None:
        """Stop claiming (a drain under way returns)."""
        self._stop.set()

    def shutdown(self) -> None:
        """Once no drain runs: let started sends finish. Claimed but not started: left
        'sending', queued again by ``Outbox.recover`` at the next start."""
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _gather(self) -> int:
        """Free sending slots to claim for. With a backlog (the last claim was full), wait up
        to GATHER_S for a quarter of the batch: a claim costs tens of milliseconds whatever
        its size, so claiming for every freed slot would spend the time claiming."""
        room = self._room
        while not room.acquire(timeout=0.2):
            if self._stop.is_set():
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

    def _claim_some(self) -> int:
        free = self._gather()
        if not free:
            return 0
        room = self._room
        try:
            if self._before_claim is not None:
                self._before_claim()  # claiming and rendering are CPU work too
            now = self._clock.now()
            claimed = self._outbox.claim(now, free, DispatchResult(), lane=self.name)
            self._backlog = len(claimed) == free
            # Left 'sending' if this fails: recovered (sent again) at the next start.
            ready = self._outbox.prepare(claimed, now, DispatchResult())
        except BaseException:
            for _ in range(free):
                room.release()
            raise
        for _ in range(free - len(ready)):
            room.release()

        def deliver(item: Prepared) -> None:
            try:
                self._outbox.deliver(item, now, DispatchResult())
            except Exception:
                # Only recording the outcome can fail here (the outbox turns a channel's own
                # exceptions into retries): left 'sending', recovered at the next start.
                log.exception("delivering %s failed", item.row["message_id"])
            finally:
                room.release()

        for item in ready:
            self._pool.submit(deliver, item)
        return len(claimed)
