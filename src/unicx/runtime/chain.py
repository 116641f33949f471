"""The realtime chain and the schedulers of a running server: what runs, in which order.

After each ingest commit the work flows down the chain. Every arrow is a callable handed over
here, so no domain imports the next one:

    writer ──on_commit──▶ profiles: identity → traits/consent → segments (one paced pass)
           ──after_pass──▶ journeys: entries, events, due steps (also every journey_tick_ms)
           ──queued messages──▶ outbox scout ──wake_lane──▶ one delivery lane per channel

Beside it, each on its own clock: the scheduled audience syncs, model training, the segment
clock (time-window edges), the daily traits refresh and event retention.

Parts start in the order :meth:`Runtime._declare` lists them and stop in reverse: the schedulers
and messaging first, then the recommendation log flush, the validator pool and the writer, and
the profile updater last, since the writer's last flushes still notify it; then the store closes.
Every worker reports its lag and last error (:meth:`Runtime.status`, ``GET /v1/pipeline``).
"""

from __future__ import annotations

from collections.abc import Callable

from unicx.channels.audience_schedule import CHECK_EVERY_S as AUDIENCES_EVERY_S
from unicx.channels.lanes import IDLE_RECHECK_S, Lane
from unicx.clock import Clock
from unicx.config import Settings
from unicx.errors import RetryableStoreError
from unicx.ingest.models import Limits
from unicx.ingest.pool import ValidatorPool
from unicx.ingest.retention import PRUNE_EVERY, prune_events
from unicx.ingest.writer import EventWriter
from unicx.journeys.runtime import Messaging
from unicx.predict.schedule import CHECK_EVERY_S as TRAIN_EVERY_S
from unicx.predict.schedule import TrainScheduler
from unicx.profiles.daily import CHECK_EVERY_S as DAILY_EVERY_S
from unicx.profiles.daily import DailyTraitsRefresh
from unicx.profiles.pipeline import ProfileUpdater
from unicx.runtime.parts import Hook, Monitored, Part, WriterStage
from unicx.runtime.worker import PeriodicWorker, StageStatus
from unicx.segments.refresh import SegmentScheduler
from unicx.store import Store

CONFLICT = (RetryableStoreError,)  # another writer got there first: retried at the next tick
# A whole-workspace job that failed is tried again after a minute, not a second: each attempt
# costs as much as a run.
HEAVY_BACKOFF_S = 60.0


class MessagingWorkers:
    """Journeys and delivery: the journey tick, the outbox scout, a lane per channel and the
    audience check (``ctx.messaging``: routes wake them after a publish or a clock move)."""

    def __init__(self, messaging: Messaging) -> None:
        tick_s = messaging.settings.journey_tick_ms / 1000
        engine = messaging.engine
        self.messaging = messaging
        self.journeys = PeriodicWorker(
            "journeys", engine.tick, interval_s=tick_s, transient=CONFLICT, lag=lambda: engine.lag_s
        )
        # The scout and the lanes claim for the sending threads: normal priority, like them.
        self.scout = PeriodicWorker(
            "outbox", messaging.scout, interval_s=tick_s, transient=CONFLICT, low_priority=False
        )
        self.lanes = {name: _lane(lane) for name, lane in messaging.lanes.items()}
        messaging.wake_lane = lambda name: self.lanes[name].wake()
        self.audiences = PeriodicWorker(
            "audiences", messaging.audiences.run_due, interval_s=AUDIENCES_EVERY_S,
            interrupt=messaging.audiences.close, stop_timeout_s=60,
        )  # fmt: skip

    def parts(self) -> list[Part]:
        """Recovery first, then the lanes before what wakes them; the last sends recorded last."""
        opened = Hook("outbox", start=self.messaging.open, stop=self.messaging.close)
        return [opened, *self.lanes.values(), self.scout, self.journeys, self.audiences]

    def wake(self) -> None:
        """Look now (after a clock move, a publish, a replay) instead of at the next tick."""
        self.journeys.wake()
        self.scout.wake()
        self.audiences.wake()


class Runtime:
    """The server's background work: built with the store, started by the app's lifespan."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.clock = Clock()  # the journeys' clock (moved forward in tests with clock_control)
        self.writer = EventWriter(
            store,
            flush_interval_s=settings.flush_interval_ms / 1000,
            flush_max_events=settings.flush_max_events,
            queue_max=settings.writer_queue_max,
            threads=settings.writer_threads,
        )
        self.updater = ProfileUpdater(store, settings)
        self.writer.on_commit = self.updater.notify
        self.pool: ValidatorPool | None = None
        self.messaging: MessagingWorkers | None = None
        self._started: list[Part] = []
        self._stages: list[Monitored] = []

    def start(self, *, flush_recommendations: Callable[[], None]) -> None:
        """Start every part in order; if one fails, stop those started and re-raise."""
        try:
            for part in self._declare(flush_recommendations):
                part.start()
                self._started.append(part)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the parts in reverse order, then close the store."""
        while self._started:
            self._started.pop().stop()
        self.store.close()

    def status(self) -> list[StageStatus]:
        return [stage.status() for stage in self._stages]

    def _declare(self, flush_recommendations: Callable[[], None]) -> list[Part]:
        """The start order (the stop order is its reverse)."""
        writer = WriterStage(self.writer)
        parts: list[Part] = [
            self._profiles(),  # up first, down last: the writer's last flushes still notify it
            writer,
            Hook("validator pool", start=self._open_pool, stop=self._close_pool),
            Hook("recommendation log", stop=flush_recommendations),
        ]
        if self.settings.journeys_enabled:
            self.messaging = MessagingWorkers(Messaging(self.store, self.settings, self.clock))
            self.updater.after_pass = self.messaging.journeys.wake  # new segment members enter
            parts += self.messaging.parts()
        parts += _schedulers(self.store, self.settings)
        self._stages = [writer, *(p for p in parts if isinstance(p, PeriodicWorker))]
        return parts

    def _profiles(self) -> PeriodicWorker:
        """Runs a pass when the writer commits, and once at start to catch up."""
        updater = self.updater
        worker = PeriodicWorker(
            "profiles", updater.run_pass, interval_s=None, lag=updater.lag_s,
            interrupt=updater.close, drain_on_stop=True,
        )  # fmt: skip
        updater.wake = worker.wake
        return worker

    def _open_pool(self) -> None:
        if self.settings.ingest_processes > 0:
            limits = Limits.from_settings(self.settings)
            self.pool = ValidatorPool(self.settings.ingest_processes, limits)
            self.pool.warm_up()

    def _close_pool(self) -> None:
        if self.pool is not None:
            self.pool.close()


def _lane(lane: Lane) -> PeriodicWorker:
    """Drains its channel when the scout wakes it, and looks by itself now and then should a
    wake-up be missed."""
    return PeriodicWorker(
        f"lane-{lane.name}", lane.drain, interval_s=IDLE_RECHECK_S, first_run="after_interval",
        interrupt=lane.close, low_priority=False,
    )  # fmt: skip


def _schedulers(store: Store, s: Settings) -> list[PeriodicWorker]:
    """The clocks beside the chain, in start order."""
    workers = [
        PeriodicWorker(
            "train", TrainScheduler(store, s).run_if_due, interval_s=TRAIN_EVERY_S,
            first_run="after_interval", backoff_s=HEAVY_BACKOFF_S, stop_timeout_s=120,
        ),
        PeriodicWorker(
            "segments", SegmentScheduler(store, s).tick, interval_s=s.segments_edge_interval_s,
            first_run="after_interval", stop_timeout_s=60,
        ),
        PeriodicWorker(
            "traits-daily", DailyTraitsRefresh(store, s).run_if_due, interval_s=DAILY_EVERY_S,
            backoff_s=HEAVY_BACKOFF_S, stop_timeout_s=60,
        ),
    ]  # fmt: skip
    if s.events_retention_days is not None:
        workers.append(_retention(store, days=s.events_retention_days))
    return workers


def _retention(store: Store, *, days: int) -> PeriodicWorker:
    """Prunes before the server takes requests, then every day."""

    def prune() -> None:
        prune_events(store, older_than_days=days)

    return PeriodicWorker(
        "retention", prune, interval_s=PRUNE_EVERY.total_seconds(), first_run="inline",
        backoff_s=HEAVY_BACKOFF_S,
    )  # fmt: skip
