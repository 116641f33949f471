"""The FastAPI application: its routers and middleware, and a lifespan that starts the runtime
(unicx/runtime/chain.py) and stops it cleanly."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

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
    overview,
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
from unicx.ingest.query import EventQuery
from unicx.runfile import RunInfo, connect_host, remove_run_info, write_run_info
from unicx.runtime.chain import Runtime
from unicx.workspace import open_store

log = logging.getLogger(__name__)
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def build_context(settings: Settings) -> AppContext:
    """Open the workspace and build the runtime (nothing runs until the app starts)."""
    store = open_store(settings)
    runtime = Runtime(store, settings)
    return AppContext(
        settings=settings,
        store=store,
        access=AccessService(store),
        writer=runtime.writer,
        events=EventQuery(store),
        limits=Limits.from_settings(settings),
        runtime=runtime,
        updater=runtime.updater,
        clock=runtime.clock,
    )


def create_app(settings: Settings, *, context: AppContext | None = None) -> FastAPI:
    app = FastAPI(
        title="unicx",
        version=__version__,
        lifespan=_lifespan(settings, context),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        debug=settings.debug,
    )
    errors.install(app)
    routers = (
        ingest, events, sources, keys, profiles, identity, matching, privacy, imports, traits,
        segments, reports, models, recommend, personalize, journeys, messaging, tracking,
        deadletters, receipts, inbox, audiences, browser, pipeline, overview,
    )  # fmt: skip
    for module in (*routers, docs):
        app.include_router(module.router)
    app.include_router(ingest.beacon_router)
    app.add_middleware(WriteKeyCors)
    app.openapi = lambda: docs.build_openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, exempt=_own_limits())
    return app


def _lifespan(settings: Settings, context: AppContext | None) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = context or build_context(settings)
        app.state.ctx = ctx
        enrich.warm_up()
        ctx.runtime.start(flush_recommendations=lambda: _flush_recommendations(ctx))
        ctx.pool, ctx.messaging = ctx.runtime.pool, ctx.runtime.messaging
        pid = _announce(settings, ctx)
        try:
            yield
        finally:
            remove_run_info(settings.run_dir, pid=pid)
            # Graceful stop: everything already acknowledged-to-be is flushed before exit.
            ctx.runtime.stop()
            log.info("unicx stopped; %d events written", ctx.writer.stats.events_written)

    return lifespan


def _announce(settings: Settings, ctx: AppContext) -> int:
    """Write the run file the CLI finds this server by (with an admin token for it)."""
    pid = os.getpid()
    url = f"http://{connect_host(settings.host)}:{settings.port}"
    token = ctx.access.issue_ephemeral_admin()
    write_run_info(settings.run_dir, RunInfo(pid=pid, url=url, token=token))
    log.info("unicx serving workspace %s on %s", settings.workspace, url)
    return pid


def _flush_recommendations(ctx: AppContext) -> None:
    """The last second of served recommendations, into the log."""
    if ctx.recommender is not None:
        ctx.recommender.log.flush()


def _own_limits() -> set[str]:
    """Routes that stream their body against a limit of their own (docs/limits.md)."""
    paths = {route.path for route in ingest.router.routes if isinstance(route, APIRoute)}
    return paths | {"/v1/imports", "/v1/catalog/items", "/v1/catalog/import"}
