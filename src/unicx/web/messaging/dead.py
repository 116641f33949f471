"""Dead letters: messages whose retries ran out, and replaying one once the cause is fixed
(the same permission as ``POST /v1/messages/{id}/replay``: channels:write)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.channels.base import channel_names
from unicx.channels.deadletter import list_dead, replay
from unicx.web.deps import page_for
from unicx.web.messaging.common import PAGE_SIZE, clean, tabs
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.messages_read))]
Replayer = Annotated[WebUser, Depends(page_for(Permission.channels_write))]
# The dead-letter list is the newest page only: older ones are in the message log (status dead).
DEAD_PAGE = 2 * PAGE_SIZE


@router.get("/messaging/dead")
async def dead_letters(
    request: Request,
    ctx: Ctx,
    user: Reader,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    replayed: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    chosen = clean(channel)
    rows = await run_in_threadpool(list_dead, ctx.store, channel=chosen, limit=DEAD_PAGE)
    return render(
        request, "messaging/dead.html", user=user, tabs=tabs(request, user), rows=rows,
        channel=chosen, channels=channel_names(), replayed=clean(replayed), limit=DEAD_PAGE,
    )  # fmt: skip


@router.post("/messaging/dead/{message_id}/replay")
async def replay_dead(
    ctx: Ctx, user: Replayer, message_id: Annotated[str, Path(min_length=1, max_length=200)]
) -> Response:
    """Queue the message again (due now); the outbox checks consent, caps and quiet hours
    again when it claims it."""
    await run_in_threadpool(replay, ctx.store, message_id, now=ctx.clock.now())
    if ctx.messaging is not None:
        ctx.messaging.wake()
    return RedirectResponse(
        f"/messaging/dead?{urlencode({'replayed': message_id})}", status_code=303
    )
