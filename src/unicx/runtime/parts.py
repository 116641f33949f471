"""What the runtime starts and stops besides its workers: the writer, and resources it opens
and closes at a fixed point of the order (no thread of their own, no status)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from unicx.ingest.writer import EventWriter
from unicx.runtime.worker import StageStatus


class Part(Protocol):
    """One entry of the runtime's order: started in order, stopped in reverse."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Monitored(Part, Protocol):
    """A part that reports itself (a stage of ``Runtime.status``)."""

    def status(self) -> StageStatus: ...


def _nothing() -> None:
    """A hook with nothing to do at this end."""


class Hook:
    """Something opened at start and closed at stop, at its place in the order."""

    def __init__(
        self,
        name: str,
        *,
        start: Callable[[], None] = _nothing,
        stop: Callable[[], None] = _nothing,
    ) -> None:
        self.name = name
        self._start, self._stop = start, stop

    def start(self) -> None:
        self._start()

    def stop(self) -> None:
        self._stop()


class WriterStage:
    """The ingest writer: its own threads (tuned for ingest, not a PeriodicWorker), its figures
    in the same record as the workers'."""

    def __init__(self, writer: EventWriter) -> None:
        self.name = "writer"
        self._writer = writer
        self._running = False

    def start(self) -> None:
        self._writer.start()
        self._running = True

    def stop(self) -> None:
        """Refuses new events, commits every accepted one (their notices reach the updater)."""
        self._writer.stop()
        self._running = False

    def status(self) -> StageStatus:
        return StageStatus(
            name=self.name,
            running=self._running,
            interval_s=None,
            lag_s=None,
            runs=self._writer.stats.flushes,
            errors=0,  # a failed flush fails its requests (they see the error), then it goes on
            conflicts=0,
            last_error=None,
            last_error_at=None,
            last_run_at=None,
            last_ok_at=None,
        )
