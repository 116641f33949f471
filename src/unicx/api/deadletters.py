"""Dead letters over HTTP: list messages that ran out of retries, and replay one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import ChannelsWriter, Ctx, MessagesReader
from unicx.channels.deadletter import MAX_DEAD_PAGE, list_dead, replay
from unicx.channels.models import DeadMessage, ReplayResult

router = APIRouter(prefix="/v1", tags=["messaging"])


@router.get("/messages/dead", response_model=list[DeadMessage])
async def dead_messages(
    ctx: Ctx,
    _: MessagesReader,
    channel: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z_]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_DEAD_PAGE)] = 100,
) -> list[DeadMessage]:
    """Messages whose retries ran out (status ``dead``), most recent first."""
    return await run_in_threadpool(list_dead, ctx.store, channel=channel, limit=limit)


@router.post("/messages/{message_id}/replay", response_model=ReplayResult)
async def replay_message(
    ctx: Ctx, _: ChannelsWriter, message_id: Annotated[str, Path(min_length=1, max_length=200)]
) -> ReplayResult:
    """Queue a dead or failed message again (attempts reset, due now); 409 for any other."""
    result = await run_in_threadpool(replay, ctx.store, message_id, now=ctx.clock.now())
    if ctx.messaging is not None:
        ctx.messaging.wake()  # send it now rather than at the dispatcher's next poll
    return result
