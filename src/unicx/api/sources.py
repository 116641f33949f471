"""Sources and their write keys (admin): create, list, rotate, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx, SourcesReader, SourcesWriter
from unicx.auth.models import SourceCreate, SourcePublic, WriteKeyPublic

router = APIRouter(prefix="/v1/sources", tags=["sources"])
SourceId = Annotated[str, Path(max_length=64)]


@router.get("", response_model=list[SourcePublic])
async def list_sources(ctx: Ctx, who: SourcesReader) -> list[SourcePublic]:
    """Every source with its write keys (redacted for viewers: docs/security.md)."""
    sources = await run_in_threadpool(ctx.access.list_sources)
    return [s.for_role(who.role) for s in sources]


@router.post("", response_model=SourcePublic, status_code=201)
async def create_source(ctx: Ctx, _: SourcesWriter, body: SourceCreate) -> SourcePublic:
    """Create a source with its first write key."""
    return await run_in_threadpool(ctx.access.create_source, body.name)


@router.get("/{source_id}", response_model=SourcePublic)
async def get_source(ctx: Ctx, who: SourcesReader, source_id: SourceId) -> SourcePublic:
    source = await run_in_threadpool(ctx.access.get_source, source_id)
    return source.for_role(who.role)


@router.delete("/{source_id}", response_model=SourcePublic)
async def revoke_source(ctx: Ctx, _: SourcesWriter, source_id: SourceId) -> SourcePublic:
    """Revoke a source and all its write keys; its events stay."""
    return await run_in_threadpool(ctx.access.revoke_source, source_id)


@router.post("/{source_id}/write-keys", response_model=WriteKeyPublic, status_code=201)
async def add_write_key(ctx: Ctx, _: SourcesWriter, source_id: SourceId) -> WriteKeyPublic:
    """Issue another write key (rotation: add the new one, deploy, revoke the old)."""
    return await run_in_threadpool(ctx.access.add_write_key, source_id)


@router.delete("/{source_id}/write-keys/{key_id}", response_model=WriteKeyPublic)
async def revoke_write_key(
    ctx: Ctx, _: SourcesWriter, source_id: SourceId, key_id: Annotated[str, Path(max_length=64)]
) -> WriteKeyPublic:
    return await run_in_threadpool(ctx.access.revoke_write_key, source_id, key_id)
