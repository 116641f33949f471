"""Delivery-receipt callbacks from SMS and push providers.

Providers cannot hold an API key of ours, so the URL carries the channel's ``receipt_token``
(query ``token`` or header ``X-Unicx-Receipt-Token``) instead of ``Authorization``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from unicx.api.body import read_limited
from unicx.api.deps import Ctx
from unicx.channels.models import ReceiptSummary
from unicx.channels.receipts import MAX_RECEIPT_BYTES, handle_receipts

router = APIRouter(prefix="/v1", tags=["messaging"])
ChannelName = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
Token = Annotated[str | None, Query(max_length=200, description="the channel's receipt_token")]
TokenHeader = Annotated[str | None, Header(alias="X-Unicx-Receipt-Token", max_length=200)]


@router.post("/channels/{channel}/receipts", response_model=ReceiptSummary)
async def receipts(
    ctx: Ctx,
    channel: ChannelName,
    request: Request,
    token: Token = None,
    header_token: TokenHeader = None,
) -> ReceiptSummary:
    """Record delivery receipts: a JSON object or a list of up to 1,000, each
    ``{"provider_id" or "message_id", "status": delivered|read|failed|undelivered|bounced,
    "error"?, "permanent"?, "at"?}``. Unknown ids are listed by index under ``unknown``."""
    raw = await read_limited(request, MAX_RECEIPT_BYTES)
    report = await run_in_threadpool(
        handle_receipts, ctx.store, channel, token or header_token, raw, now=ctx.clock.now()
    )
    return report.summary()
