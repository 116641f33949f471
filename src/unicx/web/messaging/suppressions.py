"""The suppression list: addresses never messaged again on a channel, and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.channels.base import channel_names
from unicx.channels.suppressions import list_suppressions
from unicx.web.deps import page_for
from unicx.web.messaging.common import MAX_PAGE, PAGE_SIZE, clean, page_links, tabs
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.messages_read))]


@router.get("/messaging/suppressions")
async def suppressions(
    request: Request,
    ctx: Ctx,
    user: Reader,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    found = await run_in_threadpool(
        list_suppressions, ctx.store, channel=clean(channel), search=clean(q),
        offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
    )  # fmt: skip
    return render(
        request, "messaging/suppressions.html", user=user, tabs=tabs(request, user),
        found=found, channel=clean(channel), q=clean(q), channels=channel_names(), page=page,
        pager=page_links(request, page, found.total > page * PAGE_SIZE),
    )  # fmt: skip
