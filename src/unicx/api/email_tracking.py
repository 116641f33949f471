"""E-mail open and click tracking and unsubscribe: the public routes the links in messages
lead to (the signed token is the credential). Not Segment's ``track`` (that is ingest)."""

from __future__ import annotations

import base64
import contextlib
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx
from unicx.channels import tracking
from unicx.errors import NotFoundError

router = APIRouter(prefix="/v1", tags=["tracking"])
Token = Annotated[str, Path(max_length=tracking.MAX_TOKEN)]
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_PAGE = """<!doctype html><html lang="vi"><meta charset="utf-8"><title>Hủy đăng ký</title>
<body style="font-family:sans-serif;max-width:32em;margin:3em auto">{body}</body></html>"""


@router.get(
    "/t/open/{token}.gif",
    include_in_schema=False,
    response_class=Response,
    responses={200: {"description": "A 1x1 GIF", "content": {"image/gif": {}}}},
)
async def open_pixel(ctx: Ctx, token: str) -> Response:
    """Always the 1x1 GIF (a broken image would show in the mail); only valid tokens count,
    and a tampered or oversized one is simply not counted (verify checks the length)."""
    with contextlib.suppress(NotFoundError):
        await run_in_threadpool(
            tracking.record_open, ctx.store, ctx.settings, token, ctx.clock.now()
        )
    return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


@router.get(
    "/t/click/{token}",
    include_in_schema=False,
    response_class=RedirectResponse,
    responses={302: {"description": "To the link's target (the click is counted)"}},
)
async def click(ctx: Ctx, token: Token) -> RedirectResponse:
    url = await run_in_threadpool(
        tracking.record_click, ctx.store, ctx.settings, token, ctx.clock.now()
    )
    return RedirectResponse(url, status_code=302)


@router.get(
    "/unsubscribe/{token}",
    include_in_schema=False,
    response_class=HTMLResponse,
    responses={200: {"description": "A page asking to confirm"}},
)
async def unsubscribe_page(ctx: Ctx, token: Token) -> HTMLResponse:
    """A confirmation page (a GET must not unsubscribe: mail scanners follow links)."""

    def check() -> None:
        with ctx.store.session() as s:
            tracking.verify(s, token, "u")

    await run_in_threadpool(check)
    form = (
        "<p>Bạn muốn ngừng nhận email? / Stop receiving these emails?</p>"
        '<form method="post"><button type="submit">Hủy đăng ký / Unsubscribe</button></form>'
    )
    return HTMLResponse(_PAGE.format(body=form))


@router.post(
    "/unsubscribe/{token}",
    include_in_schema=False,
    response_class=HTMLResponse,
    responses={200: {"description": "A page saying the person is unsubscribed"}},
)
async def unsubscribe(ctx: Ctx, token: Token) -> HTMLResponse:
    """RFC 8058 one-click (body ``List-Unsubscribe=One-Click``) or the page's button."""
    await run_in_threadpool(tracking.unsubscribe, ctx.store, ctx.settings, token, ctx.clock.now())
    return HTMLResponse(_PAGE.format(body="<p>Bạn đã hủy đăng ký. / You are unsubscribed.</p>"))
