"""Reading what arrived: GET /v1/events (secret key, events:read)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx, EventsDeleter, EventsReader
from unicx.ingest.models import EVENT_TYPES
from unicx.ingest.query import MAX_LIST_LIMIT, EventPublic
from unicx.ingest.retention import prune_events

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


class PruneRequest(BaseModel):
    older_than_days: int = Field(ge=1, le=36_500, description="Delete events older than this.")


class PruneResult(BaseModel):
    deleted: int


@router.post("/events/prune", response_model=PruneResult)
async def prune(ctx: Ctx, _: EventsDeleter, body: PruneRequest) -> PruneResult:
    """Delete events timestamped before now minus ``older_than_days`` (admin)."""
    deleted = await run_in_threadpool(prune_events, ctx.store, older_than_days=body.older_than_days)
    return PruneResult(deleted=deleted)
