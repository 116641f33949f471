"""One background thread that runs a step: on an interval, when woken, or both.

Every piece of background work in the server is a :class:`PeriodicWorker` around a plain step
that a domain provides (one pass, one tick, one check), so the loop, the wake-ups, the stop and
the error policy are written once, and every worker reports the same figures.

Error policy: a step that raises is logged with its traceback, counted, remembered as the last
error (with its time), and run again after a backoff that doubles while it keeps failing (up to
the interval, or a minute for a worker that only runs when woken). Wake-ups do not cut a backoff
short, so a failing step never spins however often it is woken. Errors the worker is told are
transient (a write conflict) are logged on one line, counted as conflicts, and retried at the
next regular run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from unicx.runtime.priority import lower_priority

log = logging.getLogger(__name__)

# When the first step runs: at once on the thread, on the caller's thread inside start() (before
# the server takes requests), or after one interval (or wake-up).
FirstRun = Literal["now", "inline", "after_interval"]
# The longest backoff of a worker that only runs when woken.
WAKE_ONLY_MAX_BACKOFF_S = 60.0


class StageStatus(BaseModel):
    """One stage of the runtime right now (GET /v1/pipeline ``stages``)."""

    name: str = Field(description="the stage, as declared in unicx/runtime/chain.py")
    running: bool = Field(description="its thread is alive")
    interval_s: float | None = Field(description="seconds between runs (None: only when woken)")
    lag_s: float | None = Field(description="how far it is behind its input (None: no figure)")
    runs: int = Field(description="steps run since the server started, failed ones included")
    errors: int = Field(description="steps that failed")
    conflicts: int = Field(description="steps that met a transient error and were retried")
    last_error: str | None = Field(description="the last failure (not conflict), one line")
    last_error_at: float | None = Field(description="when it happened (Unix s)")
    last_run_at: float | None = Field(description="when the last step started (Unix s)")
    last_ok_at: float | None = Field(description="when the last step succeeded (Unix s)")


class PeriodicWorker:
    """Runs ``step`` on its own thread every ``interval_s`` and whenever :meth:`wake` is called.

    ``interrupt`` is called by :meth:`stop` before it waits for the thread, to cut a long step
    short (a pause, a drain). With ``drain_on_stop`` the step runs once more after the stop is
    asked for, so work handed over just before the stop is still done.
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], object],
        *,
        interval_s: float | None,
        first_run: FirstRun = "now",
        backoff_s: float = 1.0,
        transient: tuple[type[Exception], ...] = (),
        lag: Callable[[], float | None] | None = None,
        interrupt: Callable[[], None] | None = None,
        drain_on_stop: bool = False,
        low_priority: bool = True,
        stop_timeout_s: float = 30.0,
    ) -> None:
        if backoff_s <= 0 or (interval_s is not None and interval_s <= 0):
            raise ValueError("a worker's interval and backoff must be positive (no busy loop)")
        self.name = name
        self.interval_s = interval_s
        self._step = step
        self._first = first_run
        self._backoff_s = backoff_s
        self._max_backoff_s = max(backoff_s, interval_s or WAKE_ONLY_MAX_BACKOFF_S)
        self._transient = transient
        self._lag = lag
        self._interrupt = interrupt
        self._drain = drain_on_stop
        self._low_priority = low_priority
        self._stop_timeout_s = stop_timeout_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"unicx-{name}", daemon=True)
        self._failures = 0  # in a row: sets the backoff
        self._inline_ok = True
        self.runs = self.errors = self.conflicts = 0
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.last_run_at: float | None = None
        self.last_ok_at: float | None = None

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        if self._first == "inline":
            self._inline_ok = self._run_step()
        self._thread.start()

    def wake(self) -> None:
        """Run the step now rather than at the next interval (ignored during a backoff)."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to end, interrupt its step, and wait for it (at most ``timeout``)."""
        self._stopping.set()
        self._wake.set()
        if self._interrupt is not None:
            self._interrupt()
        wait = self._stop_timeout_s if timeout is None else timeout
        if self._thread.is_alive():
            self._thread.join(wait)
        if self._thread.is_alive():
            log.warning("%s: still running %.0f s after the stop; left behind", self.name, wait)

    def status(self) -> StageStatus:
        lag = self._lag() if self._lag is not None else None
        with self._lock:
            return StageStatus(
                name=self.name,
                running=self.running,
                interval_s=self.interval_s,
                lag_s=lag,
                runs=self.runs,
                errors=self.errors,
                conflicts=self.conflicts,
                last_error=self.last_error,
                last_error_at=self.last_error_at,
                last_run_at=self.last_run_at,
                last_ok_at=self.last_ok_at,
            )

    def _run(self) -> None:
        if self._low_priority:
            lower_priority()  # under ingest load this work lags, not the acks
        try:
            self._loop()
        except BaseException:
            # Only what a step must not swallow (SystemExit, ...) gets here: said, not silent.
            log.critical("%s: the worker thread ends on an uncaught exception", self.name)
            raise

    def _loop(self) -> None:
        if self._first == "now":  # even if stopped at once: start then stop is one whole step
            self._after(self._run_step())
        elif self._first == "inline":  # start() ran it
            self._after(self._inline_ok)
        else:
            self._wait_next()
        while not self._stopping.is_set():
            self._after(self._run_step())
        if self._drain:
            self._run_step()

    def _after(self, ok: bool) -> None:
        """Wait for the next run: the interval or a wake-up, or a backoff after a failure."""
        if self._stopping.is_set():
            return
        if ok:
            self._wait_next()
            return
        doublings = min(max(self._failures - 1, 0), 30)
        backoff = min(self._max_backoff_s, self._backoff_s * 2**doublings)
        self._stopping.wait(backoff)  # not the wake-up event: a failing step must not spin

    def _wait_next(self) -> None:
        self._wake.wait(self.interval_s)
        # Cleared before the step runs, so a wake-up during the step runs it once more.
        self._wake.clear()

    def _run_step(self) -> bool:
        """Run the step once under the error policy; False after a failure (back off)."""
        began = time.time()
        with self._lock:
            self.runs += 1
            self.last_run_at = began
        try:
            self._step()
        except self._transient as exc:
            log.info("%s: transient error, retrying at the next run: %s", self.name, exc)
            with self._lock:
                self.conflicts += 1
            # Retried at the next run: a worker with no interval has none, so it backs off.
            return self.interval_s is not None
        except Exception as exc:
            self._record(exc, began)
            log.exception("%s: step failed (%d in a row); retrying", self.name, self._failures)
            return False
        with self._lock:
            self._failures = 0
            self.last_ok_at = time.time()
        return True

    def _record(self, exc: Exception, at: float) -> None:
        with self._lock:
            self._failures += 1
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
            self.last_error_at = at
