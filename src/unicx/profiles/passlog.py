"""What the realtime profile pipeline reports about itself: recent passes and its lag.

The writer hands each commit to the pipeline before it acknowledges the requests in it, and a
pass takes every commit handed over so far when it ``started`` (then opens its transaction), so
an event acknowledged before ``started`` is in the profiles and segments once that pass (or an
earlier one) ``finished``. That lets a client (bench/ingest.py) turn the ack time of each request
into a lag without asking the server anything while the load runs: it reads this log afterwards.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from pydantic import BaseModel, Field

# About an hour of passes at full load, a few hundred KB: enough for any benchmark phase.
HISTORY = 20_000


class PassRecord(BaseModel):
    """One pass of identity → traits/consent → segments, in Unix seconds."""

    started: float = Field(description="when it took the commits waiting (then began)")
    finished: float = Field(description="after it committed")
    since: float | None = Field(description="events received at/after this (None: catch-up)")


class PipelineStatus(BaseModel):
    """The realtime pipeline right now, and its passes since ``after``."""

    running: bool = Field(description="False when this server runs no profile updater")
    passes: int = Field(description="passes completed since the server started")
    busy: bool = Field(description="a pass is running")
    backlog_since: float | None = Field(
        description="Unix time of the oldest commit not yet in profiles (None: caught up)"
    )
    lag_s: float = Field(description="how long that commit has waited, seconds")
    last_pass_s: float | None = Field(description="duration of the last pass, seconds")
    recent: list[PassRecord] = Field(description="completed passes that started after `after`")


@dataclass(slots=True)
class _Pass:
    started: float
    finished: float
    since: float | None


class PassLog:
    """Thread-safe record of passes and of the commits still waiting for one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._passes: deque[_Pass] = deque(maxlen=HISTORY)
        self._waiting: float | None = None  # first commit not covered by a started pass
        self._running: float | None = None  # first commit the running pass covers
        self.count = 0

    def committed(self) -> None:
        """The writer committed events (called on its thread: only a lock and a float)."""
        with self._lock:
            if self._waiting is None:
                self._waiting = time.time()

    def begin(self) -> float:
        """A pass takes its work: it covers every commit so far. Returns its start time."""
        with self._lock:
            self._running, self._waiting = self._waiting, None
            return time.time()

    def end(self, started: float, since: float | None, *, ok: bool) -> None:
        with self._lock:
            if not ok:  # its commits wait again, from the oldest
                oldest = [t for t in (self._running, self._waiting) if t is not None]
                self._waiting = min(oldest) if oldest else None
            else:
                self._passes.append(_Pass(started, time.time(), since))
                self.count += 1
            self._running = None

    def lag_s(self) -> float:
        """How long the oldest commit not in a finished pass has waited, seconds."""
        with self._lock:
            oldest = [t for t in (self._running, self._waiting) if t is not None]
        return max(0.0, time.time() - min(oldest)) if oldest else 0.0

    def status(self, *, busy: bool, after: float, limit: int) -> PipelineStatus:
        with self._lock:
            oldest = [t for t in (self._running, self._waiting) if t is not None]
            recent = [p for p in self._passes if p.started > after][:limit]
            last = self._passes[-1] if self._passes else None
            count = self.count
        backlog = min(oldest) if oldest else None
        return PipelineStatus(
            running=True,
            passes=count,
            busy=busy,
            backlog_since=backlog,
            lag_s=max(0.0, time.time() - backlog) if backlog is not None else 0.0,
            last_pass_s=last.finished - last.started if last is not None else None,
            recent=[
                PassRecord(started=p.started, finished=p.finished, since=p.since) for p in recent
            ],
        )
