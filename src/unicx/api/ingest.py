"""Segment HTTP Tracking API: /v1/track, identify, page, screen, group, alias and batch.

These routes read the raw body and decode it with msgspec instead of FastAPI's body models:
that keeps per-event work minimal on the hot path. Their request schema is still published in
the OpenAPI document.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from unicx.api.body import read_limited
from unicx.api.context import AppContext
from unicx.api.deps import basic_credentials
from unicx.api.errors import json_response, unicx_error_response
from unicx.errors import AuthError, FieldIssue, UnicxError, ValidationError
from unicx.ingest.models import IngestAnswer, RequestInfo
from unicx.ingest.pool import MIN_POOLED_BYTES
from unicx.ingest.validate import decode_batch, decode_single

router = APIRouter(prefix="/v1", tags=["ingest"])

_OK = b'{"success":true}'
_WRITE_KEY_AUTH: list[dict[str, list[str]]] = [{"writeKey": []}]


def _schema(type_: str) -> dict[str, Any]:
    ref = (
        "#/components/schemas/SegmentBatch"
        if type_ == "batch"
        else "#/components/schemas/SegmentMessage"
    )
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": ref}}},
        },
        "security": _WRITE_KEY_AUTH,
        "responses": {
            "200": {"description": "Committed (a batch also lists rejected events by index)."},
            "400": {"description": "Invalid: the body names each field and rule."},
            "401": {"description": "Unknown or revoked write key."},
            "413": {"description": "Event over 32 KB or batch over 500 KB."},
        },
    }


def _write_key_from_header(request: Request) -> str | None:
    """HTTP Basic user name, else the ``writeKey`` query parameter (RudderStack's sendBeacon
    URL: a beacon cannot set headers). Without either, the body's ``writeKey`` (analytics-next
    sends ``text/plain`` with the key in the body, so the browser needs no preflight)."""
    creds = basic_credentials(request.headers.get("authorization"))
    if creds and creds[0]:
        return creds[0]
    return request.query_params.get("writeKey") or None


def _source_for(ctx: AppContext, header_key: str | None, body_key: str | None) -> str:
    key = header_key or body_key
    if key is None:
        raise AuthError("a write key is required: HTTP Basic with the write key as user name")
    source_id = ctx.access.resolve_write_key(key)
    if source_id is None:
        raise AuthError("unknown or revoked write key")
    return source_id


async def _ingest(request: Request, type_: str | None) -> Response:
    ctx: AppContext = request.app.state.ctx
    received = datetime.now(UTC)
    header_key = _write_key_from_header(request)
    try:
        # With a key in the header, check it before spending any work on the body.
        source_id = _source_for(ctx, header_key, None) if header_key is not None else ""
        limit = ctx.limits.max_batch_bytes if type_ is None else ctx.limits.max_event_bytes
        rule = "max_batch_bytes" if type_ is None else "max_event_bytes"  # the documented names
        body = await read_limited(request, limit, rule=rule)
        peer = request.client.host if request.client else None
        if type_ is None:
            return await _batch(ctx, body, header_key, received, peer)
        row, body_key = decode_single(
            body, type_=type_, info=RequestInfo(source_id, received, peer), limits=ctx.limits
        )
        if header_key is None:
            # The source is known only from the body's writeKey: decode again under it.
            source_id = _source_for(ctx, None, body_key)
            row, _ = decode_single(
                body, type_=type_, info=RequestInfo(source_id, received, peer), limits=ctx.limits
            )
        await asyncio.wrap_future(ctx.writer.submit([row]))
    except UnicxError as exc:
        return unicx_error_response(exc)
    return Response(_OK, media_type="application/json")


async def _batch(
    ctx: AppContext, body: bytes, header_key: str | None, received: datetime, peer: str | None
) -> Response:
    if header_key is None:
        probe = decode_batch(body, info=RequestInfo("", received, peer), limits=ctx.limits)
        source_id = _source_for(ctx, None, probe.write_key)
    else:
        source_id = _source_for(ctx, header_key, None)
    info = RequestInfo(source_id, received, peer)
    if ctx.pool is not None and len(body) >= MIN_POOLED_BYTES:
        pooled = await ctx.pool.decode_batch(body, info)
        accepted, issues = len(pooled.batch.keys), pooled.issues
        if accepted:
            await asyncio.wrap_future(ctx.writer.submit_batch(pooled.batch))
    else:
        decoded = decode_batch(body, info=info, limits=ctx.limits)
        accepted, issues = len(decoded.rows), decoded.issues
        if accepted:
            await asyncio.wrap_future(ctx.writer.submit(decoded.rows))
    if not issues:
        return Response(_OK, media_type="application/json")
    return _partial(accepted, issues)


def _partial(accepted: int, issues: list[FieldIssue]) -> Response:
    """200 naming the rejected calls by index, or 400 when none was valid."""
    body_out: dict[str, Any] = {
        "success": bool(accepted),
        "accepted": accepted,
        "rejected": sorted({i.index for i in issues if i.index is not None}),
        "issues": [i.as_dict() for i in issues],
    }
    if not accepted:
        exc = ValidationError("no valid event in the batch", issues=issues)
        body_out.update(error=exc.code, message=exc.message)
        return json_response(400, body_out)
    return json_response(200, body_out)


def _route(type_: str | None) -> Any:
    async def endpoint(request: Request) -> Response:
        return await _ingest(request, type_)

    endpoint.__name__ = f"ingest_{type_ or 'batch'}"
    endpoint.__doc__ = (
        f"Segment `{type_}` call." if type_ else "Segment batch: many calls in one request."
    )
    return endpoint


for _type in ("track", "identify", "page", "screen", "group", "alias", None):
    router.add_api_route(
        f"/{_type or 'batch'}",
        _route(_type),
        methods=["POST"],
        response_model=IngestAnswer,  # documents the bytes the route writes itself
        openapi_extra=_schema(_type or "batch"),
        summary=f"Ingest {_type or 'batch'}",
    )
    # analytics.js posts to {apiHost}/t, /i, /p, /s, /g, /a and batches to /b, as Segment's
    # api.segment.io/v1 accepts: the same routes under their one-letter names.
    router.add_api_route(
        f"/{(_type or 'b')[0]}",
        _route(_type),
        methods=["POST"],
        response_model=IngestAnswer,
        include_in_schema=False,
    )

# RudderStack's beacon transport: {dataPlaneUrl}/beacon/v1/batch?writeKey=… (text/plain).
beacon_router = APIRouter(prefix="/beacon/v1", tags=["ingest"])
beacon_router.add_api_route(
    "/batch", _route(None), methods=["POST"], response_model=IngestAnswer, include_in_schema=False
)
