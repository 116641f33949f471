"""The message log: every message with its status and why it was not sent, filtered and paged
in the URL (/messaging?channel=sms&status=suppressed&reason=consent&page=2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.channels import messages as log_service
from unicx.channels.base import channel_names
from unicx.channels.models import MessagePublic
from unicx.web.deps import page_for
from unicx.web.messaging.common import MAX_PAGE, PAGE_SIZE, clean, page_links, tabs
from unicx.web.nav import _
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.messages_read))]
STATUSES = ("queued", "sending", "sent", "suppressed", "failed", "dead")
# Why a message was not sent, as the outbox words it (unicx.channels.claims): the part matched.
REASONS = (
    ("no consent", _("No consent")),
    ("frequency cap", _("Frequency cap")),
    ("quiet hours", _("Quiet hours")),
    ("suppressed:", _("Address on the suppression list")),
    ("for this person", _("No address for the person")),
)
Text = Annotated[str | None, Query(max_length=200)]


@router.get("/messaging")
async def message_log(
    request: Request,
    ctx: Ctx,
    user: Reader,
    channel: Text = None,
    status: Text = None,
    reason: Text = None,
    profile_id: Text = None,
    journey: Text = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    filters = {"channel": clean(channel), "status": clean(status), "reason": clean(reason),
               "profile_id": clean(profile_id), "journey": clean(journey)}  # fmt: skip

    def run() -> list[MessagePublic]:
        f = filters
        return log_service.message_log(
            ctx.store, profile_id=f["profile_id"], journey=f["journey"], channel=f["channel"],
            status=f["status"], reason=f["reason"], limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )  # fmt: skip

    rows = await run_in_threadpool(run)
    return render(
        request, "messaging/log.html", user=user, tabs=tabs(request, user),
        messages=rows[:PAGE_SIZE], filters=filters, page=page,
        pager=page_links(request, page, len(rows) > PAGE_SIZE),
        channels=channel_names(), statuses=STATUSES, reasons=REASONS,
    )  # fmt: skip
