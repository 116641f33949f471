"""The home page's figures over HTTP: GET /v1/overview."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from unicx import overview as service
from unicx.api.deps import Ctx, ReportsReader

router = APIRouter(prefix="/v1", tags=["reports"])


@router.get("/overview", response_model=service.Overview)
async def overview(
    ctx: Ctx,
    _: ReportsReader,
    max_age_s: Annotated[
        float,
        Query(
            ge=0,
            le=3600,
            description="Accept figures computed up to this many seconds ago (0: compute now).",
        ),
    ] = service.DEFAULT_MAX_AGE_S,
) -> service.Overview:
    """Events, profiles, identified share, revenue, orders, conversion, messages sent and
    suppressed over the last 30 days (daily series, totals and change against the 30 days
    before, in the workspace time zone), active journeys and each model's status; cached for
    ``max_age_s`` seconds (``computed_at``, ``age_s`` say how fresh)."""
    return await run_in_threadpool(service.overview, ctx.store, ctx.settings, max_age_s=max_age_s)
