"""Segments: the list (size and its 30-day sparkline, templates when there is none yet), a
segment's page (definition in words, size chart, members, exports, lookalike) and templates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.errors import UnicxError, ValidationError
from unicx.segments.export import export_members
from unicx.segments.models import LookalikeRequest, SegmentPublic
from unicx.segments.names import segment_names
from unicx.segments.service import SAMPLE_TRAITS, SegmentService
from unicx.segments.templates import TEMPLATES, create_from_template
from unicx.web.deps import page_for
from unicx.web.i18n import translations
from unicx.web.segments import labels
from unicx.web.segments.sizes import figure, last_days, sparkline, today_in, when
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.segments_read))]
Writer = Annotated[WebUser, Depends(page_for(Permission.segments_write))]
Exporter = Annotated[WebUser, Depends(page_for(Permission.segments_export))]
SegmentId = Annotated[str, Path(min_length=1, max_length=100)]
Sort = Literal["name", "size", "updated"]
PAGE = 25
MEMBERS_PAGE = 25


def _service(ctx: Any) -> SegmentService:
    return SegmentService(ctx.store, ctx.settings)


def known_text(language: str) -> Callable[[SegmentPublic], str]:
    """A template segment's description in the page's language (it was saved in English);
    other descriptions are the user's own words."""
    gettext = translations(language).gettext

    def describe(segment: SegmentPublic) -> str:
        if segment.kind != "template":
            return segment.description
        # Catalog ids of the template texts are written for Jinja's %-formatting.
        return gettext(segment.description.replace("%", "%%")).replace("%%", "%")

    return describe


def _listing(ctx: Any, sort: Sort, page: int) -> dict[str, Any]:
    segments = _service(ctx).all()
    if sort == "size":
        segments.sort(key=lambda s: (-s.size, s.name.lower()))
    elif sort == "updated":
        segments.sort(key=lambda s: s.updated_at, reverse=True)
    pages = max(1, -(-len(segments) // PAGE))
    page = min(page, pages)
    shown = segments[(page - 1) * PAGE : page * PAGE]
    today = today_in(ctx.settings.timezone)
    lines = {
        s.segment_id: sparkline(last_days(_service(ctx).sizes(s.segment_id), today)) for s in shown
    }
    return {"segments": shown, "total": len(segments), "page": page, "pages": pages, "lines": lines}


@router.get("/segments")
async def listing(
    request: Request,
    ctx: Ctx,
    user: Reader,
    sort: Sort = "name",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    data = await run_in_threadpool(_listing, ctx, sort, page)
    return render(
        request,
        "segments/list.html",
        user=user,
        sort=sort,
        templates=TEMPLATES,
        labels=labels,
        known=known_text(request.state.language),
        **data,
    )


@router.post("/segments/templates/{key}")
async def from_template(
    request: Request, ctx: Ctx, user: Writer, key: Annotated[str, Path(max_length=64)]
) -> Response:
    """Save a template as a segment under its title in the user's language."""
    name = translations(request.state.language).gettext(labels.template_title(key))
    saved = await run_in_threadpool(
        create_from_template, _service(ctx), key, name=name, actor=user.principal().key_id
    )
    return RedirectResponse(f"/segments/{saved.segment_id}", status_code=303)


def _detail(ctx: Any, segment_id: str, cursor: str | None) -> dict[str, Any]:
    service = _service(ctx)
    segment = service.get(segment_id)
    series = last_days(service.sizes(segment.segment_id), today_in(ctx.settings.timezone))
    members = service.members(
        segment.segment_id, limit=MEMBERS_PAGE, cursor=cursor, traits=list(SAMPLE_TRAITS)
    )
    names = {n.segment_id: n.name for n in segment_names(ctx.store)}
    return {"segment": segment, "series": series, "members": members, "cursor": cursor,
            "names": names}  # fmt: skip


async def _detail_page(
    request: Request,
    ctx: Ctx,
    user: WebUser,
    segment_id: str,
    *,
    cursor: str | None = None,
    lookalike_error: str = "",
    status: int = 200,
) -> Response:
    data = await run_in_threadpool(_detail, ctx, segment_id, cursor)
    gettext = translations(request.state.language).gettext
    fig = figure(
        data["series"],
        title=gettext("Segment size, last 30 days"),
        x_title=gettext("Day"),
        y_title=gettext("People"),
        name=gettext("Size"),
    )
    return render(
        request,
        "segments/detail.html",
        user=user,
        status=status,
        fig=fig,
        labels=labels,
        lookalike_error=lookalike_error,
        when=when,
        known=known_text(request.state.language),
        **data,
    )


@router.get("/segments/{segment_id}")
async def detail(
    request: Request,
    ctx: Ctx,
    user: Reader,
    segment_id: SegmentId,
    after: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    return await _detail_page(request, ctx, user, segment_id, cursor=after)


@router.get("/segments/{segment_id}/export")
async def export(
    ctx: Ctx,
    user: Exporter,
    segment_id: SegmentId,
    format: Annotated[str, Query(pattern="^(csv|parquet|hashed)$")] = "csv",
) -> Response:
    """The members as a file, as ``GET /v1/segments/{id}/export`` answers it."""
    data, media, filename = await run_in_threadpool(
        export_members, ctx.store, ctx.settings, segment_id, fmt=format, traits=list(SAMPLE_TRAITS)
    )
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content=data, media_type=media, headers=headers)


def _lookalike(ctx: Any, user: WebUser, segment: SegmentPublic, form: dict[str, str]) -> Any:
    from unicx.predict.lookalike import build_lookalike  # scikit-learn: imported when used

    how, amount = form.get("how", "top_percent"), form.get("amount", "").strip()
    try:
        asked = LookalikeRequest(
            top=int(amount) if how == "top" else None,
            top_percent=float(amount) if how != "top" else None,
            name=form.get("name", "").strip() or None,
        )
    except (ValueError, PydanticValidationError):
        raise ValidationError(labels.LOOKALIKE_RULE) from None
    return build_lookalike(
        ctx.store, ctx.settings, segment.segment_id, top=asked.top,
        top_percent=asked.top_percent, name=asked.name, actor=user.principal().key_id,
    )  # fmt: skip


@router.post("/segments/{segment_id}/lookalike")
async def lookalike(request: Request, ctx: Ctx, user: Writer, segment_id: SegmentId) -> Response:
    """Save the people who behave most like this segment's members as a new segment."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    segment = await run_in_threadpool(_service(ctx).get, segment_id)
    try:
        run = await run_in_threadpool(_lookalike, ctx, user, segment, form)
    except UnicxError as exc:
        return await _detail_page(
            request,
            ctx,
            user,
            segment_id,
            status=400,
            lookalike_error=translations(request.state.language).gettext(exc.message),
        )
    return render(request, "segments/lookalike.html", user=user, run=run, seed=segment)
