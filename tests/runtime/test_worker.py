"""PeriodicWorker on real threads: interval, wake-ups, stop, the error policy and its figures.

Waits are generous and bounded by deadlines; nothing asserts how fast a thread runs, only what
it does and that a failing step does not spin."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import pytest

from unicx.runtime.worker import PeriodicWorker

WAIT_S = 10.0


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class Counter:
    """A step that counts its runs, and fails while ``failing`` says so."""

    def __init__(self, *, failing: int = 0, error: type[Exception] = ValueError) -> None:
        self.runs = 0
        self.failing = failing
        self.error = error
        self.threads: set[str] = set()

    def __call__(self) -> None:
        self.runs += 1
        self.threads.add(threading.current_thread().name)
        if self.failing:
            self.failing -= 1
            raise self.error("boom")


def test_runs_on_its_interval_until_stopped() -> None:
    step = Counter()
    worker = PeriodicWorker("tick", step, interval_s=0.01)
    worker.start()
    wait_for(lambda: step.runs >= 3, "three runs")
    worker.stop()
    assert not worker.running
    after = step.runs
    time.sleep(0.1)
    assert step.runs == after  # nothing runs after the stop
    assert step.threads == {"unicx-tick"}
    status = worker.status()
    assert (status.name, status.interval_s, status.errors) == ("tick", 0.01, 0)
    assert status.runs == after and status.last_ok_at is not None


def test_a_wake_only_worker_waits_for_a_wake_up() -> None:
    step = Counter()
    worker = PeriodicWorker("woken", step, interval_s=None, first_run="after_interval")
    worker.start()
    time.sleep(0.2)
    assert step.runs == 0
    worker.wake()
    wait_for(lambda: step.runs == 1, "the woken run")
    time.sleep(0.2)
    assert step.runs == 1  # one wake-up, one run
    worker.stop()
    assert not worker.running and step.runs == 1


def test_a_wake_up_during_a_step_runs_it_once_more() -> None:
    release = threading.Event()
    runs: list[int] = []

    def step() -> None:
        runs.append(1)
        if len(runs) == 1:
            release.wait(WAIT_S)

    worker = PeriodicWorker("busy", step, interval_s=None)
    worker.start()
    wait_for(lambda: len(runs) == 1, "the first run")
    worker.wake()  # while the step runs
    release.set()
    wait_for(lambda: len(runs) == 2, "the run asked for meanwhile")
    worker.stop()


def test_stop_interrupts_a_long_step_and_drains_once() -> None:
    cut = threading.Event()
    runs: list[bool] = []

    def step() -> None:
        runs.append(cut.is_set())
        cut.wait(WAIT_S)  # a long pause, cut short by the interrupt

    worker = PeriodicWorker("drain", step, interval_s=None, interrupt=cut.set, drain_on_stop=True)
    worker.start()
    wait_for(lambda: len(runs) == 1, "the first run")
    started = time.monotonic()
    worker.stop()
    assert time.monotonic() - started < WAIT_S  # the interrupt ended the step
    assert runs == [False, True]  # and the step ran once more after the stop


def test_first_run_now_completes_even_when_stopped_at_once() -> None:
    step = Counter()
    worker = PeriodicWorker("once", step, interval_s=60)
    worker.start()
    worker.stop()
    assert step.runs == 1


def test_first_run_inline_runs_on_the_callers_thread_before_start_returns() -> None:
    step = Counter()
    worker = PeriodicWorker("inline", step, interval_s=60, first_run="inline")
    worker.start()
    assert step.runs == 1 and step.threads == {threading.current_thread().name}
    worker.stop()
    assert step.runs == 1  # the thread waits an interval before the next


def test_a_failing_step_is_logged_counted_and_retried_after_a_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    step = Counter(failing=2)
    worker = PeriodicWorker("flaky", step, interval_s=None, backoff_s=0.01)
    with caplog.at_level(logging.ERROR, logger="unicx.runtime.worker"):
        worker.start()
        wait_for(lambda: step.runs == 3, "two retries")
        wait_for(lambda: worker.status().last_ok_at is not None, "the successful run")
    worker.stop()
    status = worker.status()
    assert (status.runs, status.errors, status.conflicts) == (3, 2, 0)
    assert status.last_error == "ValueError: boom"
    assert status.last_error_at is not None and status.last_ok_at is not None
    assert status.last_error_at <= status.last_ok_at
    failures = [r for r in caplog.records if "flaky" in r.getMessage()]
    assert len(failures) == 2 and all(r.exc_info is not None for r in failures)  # tracebacks


def test_a_failing_step_never_spins_however_often_it_is_woken() -> None:
    step = Counter(failing=10**9)
    worker = PeriodicWorker("broken", step, interval_s=None, backoff_s=0.2)
    worker.start()
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        worker.wake()
    worker.stop()
    # Runs at 0, 0.2 and 0.6 s (the backoff doubles); a spinning loop would run thousands.
    assert 1 <= step.runs <= 5
    assert worker.status().errors == step.runs and not worker.running


def test_the_backoff_grows_while_it_keeps_failing_and_stops_at_the_interval() -> None:
    step = Counter(failing=10**9)
    worker = PeriodicWorker("capped", step, interval_s=0.05, backoff_s=0.01)
    worker.start()
    wait_for(lambda: step.runs >= 8, "retries at the capped backoff")
    worker.stop()  # 0.01, 0.02, 0.04, then every 0.05 s: it keeps trying


def test_a_transient_error_is_a_conflict_retried_at_the_next_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Conflict(Exception):
        pass

    step = Counter(failing=1, error=Conflict)
    worker = PeriodicWorker("racy", step, interval_s=0.01, transient=(Conflict,))
    with caplog.at_level(logging.INFO, logger="unicx.runtime.worker"):
        worker.start()
        wait_for(lambda: step.runs >= 2, "the retry")
    worker.stop()
    status = worker.status()
    assert (status.errors, status.conflicts, status.last_error) == (0, 1, None)
    (line,) = [r for r in caplog.records if "racy" in r.getMessage()]
    assert line.levelno == logging.INFO and line.exc_info is None


def test_status_reports_the_lag_figure() -> None:
    worker = PeriodicWorker("lagging", Counter(), interval_s=None, lag=lambda: 2.5)
    assert worker.status().lag_s == 2.5 and not worker.status().running
    assert PeriodicWorker("plain", Counter(), interval_s=1).status().lag_s is None


def test_a_zero_interval_or_backoff_is_refused() -> None:
    with pytest.raises(ValueError):
        PeriodicWorker("spin", Counter(), interval_s=0)
    with pytest.raises(ValueError):
        PeriodicWorker("spin", Counter(), interval_s=None, backoff_s=0)


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no per-thread priority here")
def test_a_background_worker_lowers_its_own_priority_only() -> None:
    seen: dict[str, int] = {}

    def nice(name: str) -> Callable[[], None]:
        def step() -> None:
            seen[name] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

        return step

    main = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    for name, low in (("low", True), ("normal", False)):
        worker = PeriodicWorker(name, nice(name), interval_s=60, low_priority=low)
        worker.start()
        worker.stop()
    assert seen["low"] >= 10 or seen["low"] == main  # a sandbox may refuse to lower it
    assert seen["normal"] == main
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main
