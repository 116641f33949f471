"""Segments over HTTP: define, validate, preview, list, members, export, changes, refresh.

Definitions are read from the raw body with a size cap and a JSON nesting cap (orjson stops at
1,024 levels) instead of FastAPI's parser, so a hostile tree is a 400 naming the rule, never a
recursion error.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field, JsonValue
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from unicx.api.body import body_schema, read_limited
from unicx.api.deps import Ctx, ProfilesReader, SegmentsExporter, SegmentsReader, SegmentsWriter
from unicx.errors import FieldIssue, ValidationError
from unicx.segments.export import EXPORT_FORMATS, export_members
from unicx.segments.models import (
    Change,
    DefinitionBody,
    LookalikeRequest,
    LookalikeRun,
    MemberPage,
    PersonaRun,
    Preview,
    ProfileSegment,
    RefreshResult,
    SegmentCreate,
    SegmentDeleted,
    SegmentPublic,
    SegmentUpdate,
    SizePoint,
    Validation,
)
from unicx.segments.refresh import refresh_all
from unicx.segments.service import SegmentService
from unicx.segments.templates import TEMPLATES, create_from_template

router = APIRouter(prefix="/v1", tags=["segments"])


def _personas(*args: Any, **kwargs: Any) -> PersonaRun:
    # scikit-learn takes seconds to import: a server pays for it on the first model request,
    # not at every start.
    from unicx.segments.personas import build_personas

    return build_personas(*args, **kwargs)


def _lookalike(*args: Any, **kwargs: Any) -> LookalikeRun:
    from unicx.predict.lookalike import build_lookalike

    return build_lookalike(*args, **kwargs)


MAX_BODY = 256 * 1024
SegmentId = Annotated[str, Path(min_length=1, max_length=100)]
Strict = Annotated[
    bool,
    Query(
        description="Unknown event and property names are errors (false: warnings, for "
        "segments defined before their first event arrives)."
    ),
]
M = TypeVar("M", bound=BaseModel)


async def _read(request: Request, model: type[M]) -> M:
    raw = await read_limited(request, MAX_BODY)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(
            "body is not valid JSON (or nests deeper than 1,024 levels)",
            issues=[FieldIssue("$", "json", str(exc)[:200])],
        ) from None
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        issues = [
            FieldIssue(".".join(str(p) for p in e["loc"]) or "$", e["type"], e["msg"])
            for e in exc.errors()[:20]
        ]
        raise ValidationError(f"{issues[0].field}: {issues[0].message}", issues=issues) from None


def _service(ctx: Ctx) -> SegmentService:
    return SegmentService(ctx.store, ctx.settings)


@router.get("/segments", response_model=list[SegmentPublic])
async def list_segments(ctx: Ctx, _: SegmentsReader) -> list[SegmentPublic]:
    """Active segments with their current size."""
    return await run_in_threadpool(_service(ctx).all)


@router.post(
    "/segments",
    response_model=SegmentPublic,
    status_code=201,
    openapi_extra=body_schema(SegmentCreate),
)
async def create_segment(
    ctx: Ctx, who: SegmentsWriter, request: Request, strict: Strict = True
) -> SegmentPublic:
    """Validate, save (version 1) and materialize a segment; 400 names the broken path."""
    body = await _read(request, SegmentCreate)
    return await run_in_threadpool(_service(ctx).create, body, actor=who.key_id, strict=strict)


@router.post(
    "/segments/validate", response_model=Validation, openapi_extra=body_schema(DefinitionBody)
)
async def validate_segment(
    ctx: Ctx, _: SegmentsReader, request: Request, strict: Strict = True
) -> Validation:
    """Check a definition against the workspace without saving; returns the compiled SQL."""
    body = await _read(request, DefinitionBody)
    return await run_in_threadpool(_service(ctx).validate, body.definition, strict=strict)


@router.post("/segments/preview", response_model=Preview, openapi_extra=body_schema(DefinitionBody))
async def preview_segment(
    ctx: Ctx,
    _: SegmentsReader,
    request: Request,
    strict: Strict = True,
    sample: Annotated[int, Query(ge=0, le=100)] = 10,
) -> Preview:
    """How many people match now, and a sample of them; nothing is saved."""
    body = await _read(request, DefinitionBody)
    return await run_in_threadpool(
        _service(ctx).preview, body.definition, strict=strict, sample=sample
    )


@router.post("/segments/refresh", response_model=RefreshResult)
async def refresh_segments(
    ctx: Ctx,
    _: SegmentsWriter,
    segment: Annotated[list[str] | None, Query(max_length=100)] = None,
) -> RefreshResult:
    """Re-evaluate every segment (or the named ones and their dependents) in full."""
    service = _service(ctx)
    ids = None
    if segment:
        ids = [(await run_in_threadpool(service.get, s)).segment_id for s in segment]
    return await run_in_threadpool(refresh_all, ctx.store, ctx.settings, segment_ids=ids)


class TemplatePublic(BaseModel):
    key: str
    title: str
    description: str
    definition: dict[str, JsonValue] = Field(description="A segment definition tree (JSON)")


@router.get("/segments/templates", response_model=list[TemplatePublic])
async def list_templates(_: SegmentsReader) -> list[TemplatePublic]:
    """Built-in lifecycle segments (high value, at risk, new, one-time, cart abandoners, ...)."""
    return [TemplatePublic(**vars(t)) for t in TEMPLATES]


@router.post("/segments/templates/{key}", response_model=SegmentPublic, status_code=201)
async def create_from_template_(
    ctx: Ctx,
    who: SegmentsWriter,
    key: Annotated[str, Path(min_length=1, max_length=64)],
    name: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> SegmentPublic:
    """Save a template as a segment (under its title unless ``name`` is given)."""
    return await run_in_threadpool(
        create_from_template, _service(ctx), key, name=name, actor=who.key_id
    )


@router.post("/segments/personas", response_model=PersonaRun)
async def personas(
    ctx: Ctx,
    who: SegmentsWriter,
    k: Annotated[int, Query(ge=2, le=20, description="Number of personas.")] = 5,
    seed: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> PersonaRun:
    """Cluster buyers (k-means on scaled RFM + category mix) and save each cluster as a
    persona segment with a description of what sets it apart; replaces the previous run."""
    return await run_in_threadpool(
        _personas, ctx.store, ctx.settings, k=k, seed=seed, actor=who.key_id
    )


@router.post(
    "/segments/{segment_id}/lookalike",
    response_model=LookalikeRun,
    status_code=201,
    openapi_extra=body_schema(LookalikeRequest),
)
async def lookalike(
    ctx: Ctx, who: SegmentsWriter, segment_id: SegmentId, request: Request
) -> LookalikeRun:
    """Save the people outside this seed segment who behave most like it (``top`` people or
    ``top_percent`` of the rest) as a new segment, with how well held-out members are found."""
    body = await _read(request, LookalikeRequest)
    return await run_in_threadpool(
        _lookalike,
        ctx.store,
        ctx.settings,
        segment_id,
        top=body.top,
        top_percent=body.top_percent,
        name=body.name,
        actor=who.key_id,
    )


@router.get("/segments/{segment_id}", response_model=SegmentPublic)
async def get_segment(ctx: Ctx, _: SegmentsReader, segment_id: SegmentId) -> SegmentPublic:
    """One segment by id or name."""
    return await run_in_threadpool(_service(ctx).get, segment_id)


@router.patch(
    "/segments/{segment_id}",
    response_model=SegmentPublic,
    openapi_extra=body_schema(SegmentUpdate),
)
async def update_segment(
    ctx: Ctx, who: SegmentsWriter, segment_id: SegmentId, request: Request, strict: Strict = True
) -> SegmentPublic:
    """Rename, describe, or change the definition (a new version, re-materialized)."""
    body = await _read(request, SegmentUpdate)
    return await run_in_threadpool(
        _service(ctx).update, segment_id, body, actor=who.key_id, strict=strict
    )


@router.delete(
    "/segments/{segment_id}",
    status_code=204,
    response_model=None,
    responses={200: {"model": SegmentDeleted, "description": "Deleted with force=true"}},
)
async def delete_segment(
    ctx: Ctx,
    _: SegmentsWriter,
    segment_id: SegmentId,
    force: Annotated[
        bool, Query(description="Delete even if journeys, offers or audience syncs use it")
    ] = False,
) -> Response:
    """Retire a segment. 409 names who uses it: other segments (always refused), journeys,
    offers and audience syncs (refused unless ``force=true``, which answers 200 with them)."""
    users = await run_in_threadpool(_service(ctx).delete, segment_id, force=force)
    if not force:
        return Response(status_code=204)
    report = SegmentDeleted(segment_id=segment_id, used_by=users)
    return Response(report.model_dump_json(), media_type="application/json")


@router.get("/segments/{segment_id}/members", response_model=MemberPage)
async def members(
    ctx: Ctx,
    _: SegmentsReader,
    segment_id: SegmentId,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    traits: Annotated[str | None, Query(max_length=2000, description="Comma-separated.")] = None,
) -> MemberPage:
    """A page of members (by profile id) with the chosen traits; pass next_cursor on."""
    names = [t.strip() for t in traits.split(",") if t.strip()] if traits else []
    return await run_in_threadpool(
        _service(ctx).members, segment_id, limit=limit, cursor=cursor, traits=names
    )


@router.get(
    "/segments/{segment_id}/export",
    response_class=Response,
    responses={
        200: {
            "description": "The members as a file (Content-Disposition: attachment)",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    },
)
async def export(
    ctx: Ctx,
    _: SegmentsExporter,
    segment_id: SegmentId,
    format: Annotated[str, Query(pattern="|".join(EXPORT_FORMATS))] = "csv",
    traits: Annotated[str | None, Query(max_length=2000, description="Comma-separated.")] = None,
) -> Response:
    """Members as CSV or Parquet (with chosen traits), or ``hashed``: normalized, SHA-256
    e-mails and phones in the customer-list format ad platforms accept."""
    names = [t.strip() for t in traits.split(",") if t.strip()] if traits else []
    data, media, filename = await run_in_threadpool(
        export_members, ctx.store, ctx.settings, segment_id, fmt=format, traits=names
    )
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content=data, media_type=media, headers=headers)


@router.get("/segments/{segment_id}/changes", response_model=list[Change])
async def changes(
    ctx: Ctx,
    _: SegmentsReader,
    segment_id: SegmentId,
    after: Annotated[int, Query(ge=0, description="Last change_id already read.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Change]:
    """Segment Entered / Segment Exited records in order, from a cursor."""
    return await run_in_threadpool(_service(ctx).changes, segment_id, after=after, limit=limit)


@router.get("/segments/{segment_id}/sizes", response_model=list[SizePoint])
async def sizes(ctx: Ctx, _: SegmentsReader, segment_id: SegmentId) -> list[SizePoint]:
    """Size, entries and exits per day (workspace time zone)."""
    return await run_in_threadpool(_service(ctx).sizes, segment_id)


@router.get("/profiles/{profile_id}/segments", response_model=list[ProfileSegment])
async def profile_segments(
    ctx: Ctx, _: ProfilesReader, profile_id: Annotated[str, Path(min_length=1, max_length=100)]
) -> list[ProfileSegment]:
    """The segments a profile is in now, with when it entered."""
    return await run_in_threadpool(_service(ctx).of_profile, profile_id)
