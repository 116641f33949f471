"""The journeys' and channels' clock, and the duration text both write.

Real time plus an offset that tests and demos may move forward. Everything that decides *when*
in journeys and channels (entries, waits, quiet hours, caps, retries) reads this clock, so a
test can run days of a journey in seconds through the API (``POST /v1/clock``, only with
``clock_control``) and a simulation can run without one. A bottom module (like ``errors``):
channels sit below journeys and both read it.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

DURATION_RE = re.compile(r"^\s*(\d{1,7})\s*(s|m|h|d|w)\s*$")
UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def duration_seconds(text: str) -> int:
    """``"90s"``, ``"30m"``, ``"1h"``, ``"2d"``, ``"1w"`` → seconds (ValueError otherwise)."""
    m = DURATION_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a duration such as 30m, 1h, 2d or 1w")
    return int(m.group(1)) * UNIT_S[m.group(2)]


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
