"""Ad-audience syncs over HTTP: define a segment → ad platform sync, run it, list its runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx, SegmentsExporter, SegmentsReader
from unicx.channels.audiences import (
    AudienceCreate,
    AudienceSync,
    AudienceUpdate,
    Mode,
    SyncRun,
    create_sync,
    list_runs,
    list_syncs,
    run_sync,
    update_sync,
)

router = APIRouter(prefix="/v1", tags=["audiences"])
SyncRef = Annotated[str, Path(min_length=1, max_length=200, description="Sync id or name")]


@router.post("/audiences", response_model=AudienceSync, status_code=201)
async def create(ctx: Ctx, _: SegmentsExporter, body: AudienceCreate) -> AudienceSync:
    """A new sync of a segment (id or name) to ``google_customer_match``,
    ``meta_custom_audience`` or ``tiktok_custom_audience``; ``config.identifiers`` picks email
    and/or phone, ``config.every`` (e.g. ``1d``) runs it on a schedule while the server runs,
    writing ``config.mode`` (delta unless full) files."""
    created = await run_in_threadpool(
        create_sync,
        ctx.store,
        name=body.name,
        segment_ref=body.segment,
        destination=body.destination,
        config=body.config,
        now=ctx.clock.now(),
    )
    return _scheduled(ctx, created)


@router.get("/audiences", response_model=list[AudienceSync])
async def list_(ctx: Ctx, _: SegmentsReader) -> list[AudienceSync]:
    """Every audience sync, by name."""
    return await run_in_threadpool(list_syncs, ctx.store)


@router.patch("/audiences/{sync}", response_model=AudienceSync)
async def update(
    ctx: Ctx, _: SegmentsExporter, sync: SyncRef, body: AudienceUpdate
) -> AudienceSync:
    """Replace the sync's config, e.g. ``{"every": "1d"}`` to run it daily while the server
    runs. What was sent stays: the next delta diffs against it."""
    return _scheduled(ctx, await run_in_threadpool(update_sync, ctx.store, sync, body.config))


def _scheduled(ctx: Ctx, sync: AudienceSync) -> AudienceSync:
    """A scheduled sync that never ran is due now, not at the scheduler's next check."""
    if sync.config.every is not None and ctx.messaging is not None:
        ctx.messaging.audiences.wake()
    return sync


@router.post("/audiences/{sync}/sync", response_model=SyncRun)
async def sync(ctx: Ctx, _: SegmentsExporter, sync: SyncRef, mode: Mode = "delta") -> SyncRun:
    """Write the sync's files now: ``full`` (every member) or ``delta`` (add and remove files
    against the previous run). Files land in ``{workspace}/audiences/{slug}/``."""
    return await run_in_threadpool(
        run_sync, ctx.store, ctx.settings, sync, mode=mode, now=ctx.clock.now()
    )


@router.get("/audiences/{sync}/runs", response_model=list[SyncRun])
async def runs(
    ctx: Ctx,
    _: SegmentsReader,
    sync: SyncRef,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[SyncRun]:
    """The sync's runs, newest first, with counts and file names."""
    return await run_in_threadpool(list_runs, ctx.store, sync, limit=limit)
