"""Personas: the persona segments of the last run, and a new run (k-means over buyers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.errors import UnicxError
from unicx.segments.models import PersonaRun
from unicx.segments.service import SegmentService
from unicx.web.deps import page_for
from unicx.web.i18n import translations
from unicx.web.segments import labels
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.segments_read))]
Writer = Annotated[WebUser, Depends(page_for(Permission.segments_write))]
MIN_K, MAX_K = 2, 20


def _personas(ctx: Any) -> list[Any]:
    return [s for s in SegmentService(ctx.store, ctx.settings).all() if s.kind == "persona"]


def _run(ctx: Any, user: WebUser, k: int) -> PersonaRun:
    from unicx.segments.personas import build_personas  # scikit-learn: imported when used

    return build_personas(ctx.store, ctx.settings, k=k, actor=user.principal().key_id)


def _k(raw: str) -> int | None:
    try:
        k = int(raw)
    except ValueError:
        return None
    return k if MIN_K <= k <= MAX_K else None


@router.get("/segments/personas")
async def personas(request: Request, ctx: Ctx, user: Reader) -> Response:
    segments = await run_in_threadpool(_personas, ctx)
    return render(request, "segments/personas.html", user=user, segments=segments, run=None,
                  error="", k=5, labels=labels)  # fmt: skip


@router.post("/segments/personas")
async def run_personas(request: Request, ctx: Ctx, user: Writer) -> Response:
    """Cluster buyers into k personas (replacing the previous run) and show what sets each
    apart; a bad k or too few buyers is said at the field."""
    form = await request.form()
    raw = form.get("k")
    k = _k(raw if isinstance(raw, str) else "")
    gettext = translations(request.state.language).gettext
    run, error, status = None, "", 200
    if k is None:
        error, status = gettext(labels.K_RULE), 400
    else:
        try:
            run = await run_in_threadpool(_run, ctx, user, k)
        except UnicxError as exc:
            error, status = gettext(exc.message), 400
    segments = await run_in_threadpool(_personas, ctx)
    return render(request, "segments/personas.html", user=user, segments=segments, run=run,
                  error=error, k=k or 5, labels=labels, status=status)  # fmt: skip
