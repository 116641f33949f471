"""Demo inbox (demo workspaces only): the e-mails the demo's local SMTP sink received, newest
first, and one message at a time. A mail's HTML is untrusted: it is shown only inside a
sandboxed frame (``<iframe sandbox srcdoc>``: no script, no form, no same-origin), never
inserted into the page, and its text part as plain text."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.demo.inbox import get_message, list_messages
from unicx.errors import NotFoundError
from unicx.web.deps import page_for
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.messages_read))]
PAGE = 50


def _demo_only(request: Request) -> None:
    if not getattr(request.app.state, "demo", False):
        raise NotFoundError("the demo inbox exists only in a workspace built by `unicx demo`")


@router.get("/demo-inbox")
async def inbox(
    request: Request, ctx: Ctx, user: Reader,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:  # fmt: skip
    _demo_only(request)
    found = await run_in_threadpool(
        list_messages, ctx.settings.workspace, limit=PAGE, offset=(page - 1) * PAGE
    )
    pages = max(1, -(-found.total // PAGE))
    return render(request, "demo_inbox/list.html", user=user, found=found, page=page,
                  pages=pages)  # fmt: skip


@router.get("/demo-inbox/{message_id}")
async def message(
    request: Request, ctx: Ctx, user: Reader,
    message_id: Annotated[str, Path(max_length=200)],
) -> Response:  # fmt: skip
    _demo_only(request)
    mail = await run_in_threadpool(get_message, ctx.settings.workspace, message_id)
    return render(request, "demo_inbox/message.html", user=user, mail=mail)
