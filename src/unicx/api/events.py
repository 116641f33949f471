"""Reading what arrived: GET /v1/events (secret key, events:read)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx, EventsDeleter, EventsReader
from unicx.ingest.models import EVENT_TYPES
from unicx.ingest.query import MAX_CURSOR_LENGTH, MAX_LIST_LIMIT, EventPublic
from unicx.ingest.retention import prune_events

router = APIRouter(prefix="/v1", tags=["events"])
# The body stays a JSON array (what every client of this route already reads); the position of
# the next page travels in headers, as GitHub's list APIs do.
NEXT_CURSOR_HEADER = "X-Next-Cursor"
_CURSOR_DOC = (
    "The X-Next-Cursor header of the previous page (also in its Link rel=next), to read the "
    "next, older page; absent on the last page."
)


_HEADERS = {NEXT_CURSOR_HEADER: {"description": "next_cursor", "schema": {"type": "string"}}}


@router.get("/events", response_model=list[EventPublic], responses={200: {"headers": _HEADERS}})
async def list_events(
    ctx: Ctx,
    _: EventsReader,
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = 100,
    since: Annotated[datetime | None, Query(description="Only events received at/after")] = None,
    source_id: Annotated[str | None, Query(max_length=64)] = None,
    type: Annotated[str | None, Query(pattern="^(" + "|".join(sorted(EVENT_TYPES)) + ")$")] = None,
    cursor: Annotated[
        str | None, Query(min_length=1, max_length=MAX_CURSOR_LENGTH, description=_CURSOR_DOC)
    ] = None,
) -> list[EventPublic]:
    """Stored events, newest first by (receivedAt, event); page with the cursor header."""
    page = await run_in_threadpool(
        ctx.events.page, limit=limit, since=since, source_id=source_id, type_=type, cursor=cursor
    )
    if page.next_cursor is not None:
        response.headers[NEXT_CURSOR_HEADER] = page.next_cursor
        following = request.url.include_query_params(cursor=page.next_cursor)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return page.events


class PruneRequest(BaseModel):
    older_than_days: int = Field(ge=1, le=36_500, description="Delete events older than this.")


class PruneResult(BaseModel):
    deleted: int


@router.post("/events/prune", response_model=PruneResult)
async def prune(ctx: Ctx, _: EventsDeleter, body: PruneRequest) -> PruneResult:
    """Delete events timestamped before now minus ``older_than_days`` (admin)."""
    deleted = await run_in_threadpool(prune_events, ctx.store, older_than_days=body.older_than_days)
    return PruneResult(deleted=deleted)
