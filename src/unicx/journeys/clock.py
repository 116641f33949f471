"""The journeys' clock: real time plus an offset that tests and demos may move forward.

Everything that decides *when* in journeys and channels (entries, waits, quiet hours, caps,
retries) reads this clock, so a test can run days of a journey in seconds through the API
(``POST /v1/clock``, only with ``clock_control``) and a simulation can run without one.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move forward (never back: due times already passed stay passed)."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()
