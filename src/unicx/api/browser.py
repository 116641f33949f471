"""What the official browser SDKs fetch before sending: Segment's CDN settings and RudderStack's
source config. Public like ingest: the write key (in the path, the query or HTTP Basic) is the
only credential, and the answer reveals nothing the site's own page does not already hold.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx, basic_credentials
from unicx.errors import AuthError, NotFoundError
from unicx.ingest.browser import (
    RudderSourceConfig,
    SegmentSettings,
    rudder_source_config,
    segment_settings,
)

router = APIRouter(tags=["ingest"])
WriteKey = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/v1/projects/{write_key}/settings", response_model=SegmentSettings)
async def segment_cdn_settings(ctx: Ctx, write_key: WriteKey) -> SegmentSettings:
    """Segment analytics.js (analytics-next) settings: its `Segment.io` integration sends to
    this server. Point the snippet's CDN (`analytics._cdn`) at unicx to use it."""
    if ctx.access.resolve_write_key(write_key) is None:
        raise NotFoundError("unknown or revoked write key")
    return segment_settings(write_key, base_url=ctx.settings.base_url)


async def rudder_config(
    ctx: Ctx,
    request: Request,
    writeKey: Annotated[str | None, Query(max_length=200)] = None,
) -> RudderSourceConfig:
    """RudderStack JS SDK (v3) source config: set `configUrl` to unicx's base URL and the
    data plane URL to unicx too. The SDK sends the write key as HTTP Basic user and in the
    query; when both are there they must agree."""
    creds = basic_credentials(request.headers.get("authorization"))
    header_key = creds[0] if creds and creds[0] else None
    if header_key and writeKey and header_key != writeKey:
        raise AuthError("the write key in the query and in Authorization differ")
    key = header_key or writeKey
    source_id = ctx.access.resolve_write_key(key) if key else None
    if key is None or source_id is None:
        raise AuthError("unknown or revoked write key")
    source = await run_in_threadpool(ctx.access.get_source, source_id)
    return rudder_source_config(source, key)


for _path in ("/sourceConfig", "/sourceConfig/"):
    router.add_api_route(
        _path,
        rudder_config,
        methods=["GET"],
        response_model=RudderSourceConfig,
        summary="RudderStack source config",
        include_in_schema=_path.endswith("/"),
    )
