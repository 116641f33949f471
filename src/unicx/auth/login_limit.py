"""Sign-in attempts limited per account and per client address.

Failures are counted in a sliding window in memory: a guesser on one address is slowed by the
address limit, a guesser spread over many addresses by the account limit. Over either limit the
attempt is refused before the password is checked (so it also costs no argon2 time), and the
answer says when to try again. A success clears the account's count, not the address's.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from unicx.errors import RateLimitedError

ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW_S = 15 * 60.0


class LoginLimiter:
    def __init__(
        self,
        *,
        account_failures: int = ACCOUNT_FAILURES,
        address_failures: int = ADDRESS_FAILURES,
        window_s: float = WINDOW_S,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {"account": account_failures, "address": address_failures}
        self._window, self._now = window_s, now
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, *, account: str, address: str) -> None:
        """Raise :class:`RateLimitedError` if either key is over its limit."""
        with self._lock:
            waits = [self._wait(("account", account.lower())), self._wait(("address", address))]
        if max(waits) > 0:
            wait = int(max(waits)) + 1
            raise RateLimitedError(
                f"too many failed sign-ins; try again in {wait} s", retry_after_s=wait
            )

    def failed(self, *, account: str, address: str) -> None:
        with self._lock:
            for key in (("account", account.lower()), ("address", address)):
                self._failures[key].append(self._now())

    def succeeded(self, *, account: str) -> None:
        with self._lock:
            self._failures.pop(("account", account.lower()), None)

    def _wait(self, key: tuple[str, str]) -> float:
        """Seconds until ``key`` is under its limit again (0 if it is)."""
        times = self._failures.get(key)
        if not times:
            return 0.0
        horizon = self._now() - self._window
        while times and times[0] <= horizon:
            times.popleft()
        if len(times) < self._limits[key[0]]:
            return 0.0
        return times[-self._limits[key[0]]] - horizon
