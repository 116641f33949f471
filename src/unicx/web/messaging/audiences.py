"""Ad-audience syncs: each segment → ad platform sync, its schedule, its runs, and running one
now (segments:export, like POST /v1/audiences/{sync}/sync)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.channels.audiences import Mode, list_runs, list_syncs, run_sync
from unicx.web.deps import page_for
from unicx.web.messaging.common import clean, tabs
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.segments_read))]
Exporter = Annotated[WebUser, Depends(page_for(Permission.segments_export))]
SyncRef = Annotated[str, Path(min_length=1, max_length=200)]
RUNS_SHOWN = 20


@router.get("/messaging/audiences")
async def audiences(
    request: Request,
    ctx: Ctx,
    user: Reader,
    sync: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    syncs = await run_in_threadpool(list_syncs, ctx.store)
    chosen = next((s for s in syncs if s.sync_id == clean(sync)), syncs[0] if syncs else None)
    runs = (
        await run_in_threadpool(list_runs, ctx.store, chosen.sync_id, limit=RUNS_SHOWN)
        if chosen
        else []
    )
    return render(request, "messaging/audiences.html", user=user, tabs=tabs(request, user),
                  syncs=syncs, chosen=chosen, runs=runs)  # fmt: skip


@router.post("/messaging/audiences/{sync}/run")
async def run_now(
    ctx: Ctx, user: Exporter, sync: SyncRef, mode: Annotated[Mode, Form()] = "delta"
) -> Response:
    done = await run_in_threadpool(
        run_sync, ctx.store, ctx.settings, sync, mode=mode, now=ctx.clock.now()
    )
    return RedirectResponse(f"/messaging/audiences?{urlencode({'sync': done.sync_id})}",
                            status_code=303)  # fmt: skip
