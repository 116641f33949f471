"""The FastAPI application and its lifespan: open the store, start the writer, stop cleanly."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from unicx import __version__
from unicx.api import (
    audiences,
    browser,
    deadletters,
    docs,
    errors,
    events,
    identity,
    imports,
    inbox,
    ingest,
    journeys,
    keys,
    matching,
    messaging,
    models,
    personalize,
    pipeline,
    privacy,
    profiles,
    receipts,
    recommend,
    reports,
    segments,
    sources,
    traits,
)
from unicx.api import email_tracking as tracking
from unicx.api.bodylimit import BodyLimit
from unicx.api.context import AppContext
from unicx.api.cors import WriteKeyCors
from unicx.auth.service import AccessService
from unicx.config import Settings
from unicx.ingest import enrich
from unicx.ingest.models import Limits
from unicx.ingest.pool import ValidatorPool
from unicx.ingest.query import EventQuery
from unicx.ingest.retention import RetentionScheduler
from unicx.ingest.writer import EventWriter
from unicx.journeys.runtime import Messaging
from unicx.predict.schedule import TrainScheduler
from unicx.profiles.daily import DailyTraitsRefresh
from unicx.profiles.pipeline import ProfileUpdater
from unicx.runfile import RunInfo, connect_host, remove_run_info, write_run_info
from unicx.segments.refresh import SegmentScheduler
from unicx.workspace import open_store

log = logging.getLogger(__name__)


def build_context(settings: Settings) -> AppContext:
    store = open_store(settings)
    writer = EventWriter(
        store,
        flush_interval_s=settings.flush_interval_ms / 1000,
        flush_max_events=settings.flush_max_events,
        queue_max=settings.writer_queue_max,
        threads=settings.writer_threads,
    )
    updater = ProfileUpdater(store, settings)
    writer.on_commit = updater.notify
    return AppContext(
        updater=updater,
        settings=settings,
        store=store,
        access=AccessService(store),
        writer=writer,
        events=EventQuery(store),
        limits=Limits.from_settings(settings),
    )


def create_app(settings: Settings, *, context: AppContext | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = context or build_context(settings)
        app.state.ctx = ctx
        enrich.warm_up()
        if ctx.pool is None and settings.ingest_processes > 0:
            ctx.pool = ValidatorPool(settings.ingest_processes, ctx.limits)
            ctx.pool.warm_up()
        ctx.writer.start()
        if ctx.updater is not None:
            ctx.updater.start()
        daily = segment_clock = trainer = None
        if ctx.updater is not None:
            daily = DailyTraitsRefresh(ctx.store, settings)
            daily.start()
            segment_clock = SegmentScheduler(ctx.store, settings)
            segment_clock.start()
            trainer = TrainScheduler(ctx.store, settings)
            trainer.start()
        if ctx.updater is not None and settings.journeys_enabled:
            ctx.messaging = Messaging(ctx.store, settings, ctx.clock)
            ctx.messaging.start()
        retention = None
        if settings.events_retention_days is not None:
            retention = RetentionScheduler(ctx.store, days=settings.events_retention_days)
            retention.start()
        pid = os.getpid()
        url = f"http://{connect_host(settings.host)}:{settings.port}"
        write_run_info(
            settings.run_dir, RunInfo(pid=pid, url=url, token=ctx.access.issue_ephemeral_admin())
        )
        log.info("unicx serving workspace %s on %s", settings.workspace, url)
        try:
            yield
        finally:
            remove_run_info(settings.run_dir, pid=pid)
            # Graceful stop: everything already acknowledged-to-be is flushed before exit.
            if retention is not None:
                retention.stop()
            if daily is not None:
                daily.stop()
            if segment_clock is not None:
                segment_clock.stop()
            if trainer is not None:
                trainer.stop()
            if ctx.messaging is not None:
                ctx.messaging.stop()
            if ctx.recommender is not None:
                ctx.recommender.log.flush()  # the last second of served recommendations
            if ctx.pool is not None:
                ctx.pool.close()
            ctx.writer.stop()
            if ctx.updater is not None:
                # After the writer: its last flushes still notify the updater.
                ctx.updater.stop()
            ctx.store.close()
            log.info("unicx stopped; %d events written", ctx.writer.stats.events_written)

    app = FastAPI(
        title="unicx",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        debug=settings.debug,
    )
    errors.install(app)
    routers = (
        ingest, events, sources, keys, profiles, identity, matching, privacy, imports, traits,
        segments, reports, models, recommend, personalize, journeys, messaging, tracking,
        deadletters, receipts, inbox, audiences, browser, pipeline,
    )  # fmt: skip
    for module in (*routers, docs):
        app.include_router(module.router)
    app.include_router(ingest.beacon_router)
    app.add_middleware(WriteKeyCors)
    app.openapi = lambda: docs.build_openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, exempt=_own_limits())
    return app


def _own_limits() -> set[str]:
    """Routes that stream their body against a limit of their own (docs/limits.md)."""
    paths = {route.path for route in ingest.router.routes if isinstance(route, APIRoute)}
    return paths | {"/v1/imports", "/v1/catalog/items", "/v1/catalog/import"}
