"""Reading what arrived: GET /v1/events (secret key, events:read)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx, EventsReader
from unicx.ingest.models import EVENT_TYPES
from unicx.ingest.query import MAX_LIST_LIMIT, EventPublic

router = APIRouter(prefix="/v1", tags=["events"])


@router.get("/events", response_model=list[EventPublic])
async def list_events(
    ctx: Ctx,
    _: EventsReader,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = 100,
    since: Annotated[datetime | None, Query(description="Only events received at/after")] = None,
    source_id: Annotated[str | None, Query(max_length=64)] = None,
    type: Annotated[str | None, Query(pattern="^(" + "|".join(sorted(EVENT_TYPES)) + ")$")] = None,
) -> list[EventPublic]:
    """Stored events, newest first."""
    return await run_in_threadpool(
        ctx.events.list_events, limit=limit, since=since, source_id=source_id, type_=type
    )
