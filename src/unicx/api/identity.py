"""Identity graph management: merges (and undoing them), conflicts, manual merge, rebuild."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx, IdentityManager, ProfilesReader
from unicx.identity.models import ConflictRecord, MergeRecord
from unicx.identity.service import IdentityService
from unicx.profiles.pipeline import update_profiles

router = APIRouter(prefix="/v1/identity", tags=["identity"])


class MergeRequest(BaseModel):
    winner_id: str = Field(min_length=1, max_length=64)
    loser_id: str = Field(min_length=1, max_length=64)


class MergeCreated(BaseModel):
    merge_id: str


class ResolveSummary(BaseModel):
    groups: int
    pending: int
    merges: int
    conflicts: int
    dropped_events: int
    profiles_touched: int


@router.get("/merges", response_model=list[MergeRecord])
async def list_merges(
    ctx: Ctx,
    _: ProfilesReader,
    profile_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[MergeRecord]:
    service = IdentityService(ctx.store, ctx.settings)
    return await run_in_threadpool(service.list_merges, profile_id=profile_id, limit=limit)


@router.post("/merges", response_model=MergeCreated)
async def merge(ctx: Ctx, who: IdentityManager, body: MergeRequest) -> MergeCreated:
    """Merge two profiles by hand (merge protection still applies: 409 when it refuses)."""
    service = IdentityService(ctx.store, ctx.settings)
    merge_id = await run_in_threadpool(
        service.merge_profiles, body.winner_id, body.loser_id, reason="manual", actor=who.key_id
    )
    return MergeCreated(merge_id=merge_id)


@router.post("/merges/{merge_id}/undo", response_model=MergeRecord)
async def unmerge(
    ctx: Ctx, who: IdentityManager, merge_id: Annotated[str, Path(max_length=64)]
) -> MergeRecord:
    """Undo a merge: the identifiers it moved go back, and the pair is blocked from merging."""
    service = IdentityService(ctx.store, ctx.settings)
    return await run_in_threadpool(service.unmerge, merge_id, actor=who.key_id)


@router.get("/conflicts", response_model=list[ConflictRecord])
async def list_conflicts(
    ctx: Ctx,
    _: ProfilesReader,
    status: Annotated[str | None, Query(pattern="^(open|dismissed|merged)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ConflictRecord]:
    """Links merge protection refused (shared devices, too many ids of one type)."""
    service = IdentityService(ctx.store, ctx.settings)
    return await run_in_threadpool(service.list_conflicts, status=status, limit=limit)


@router.post("/resolve", response_model=ResolveSummary)
async def resolve(ctx: Ctx, _: IdentityManager) -> ResolveSummary:
    """Resolve now whatever the background updater has not reached yet."""
    result = await run_in_threadpool(update_profiles, ctx.store, ctx.settings)
    return ResolveSummary(**result.summary())


@router.post("/rebuild", response_model=ResolveSummary)
async def rebuild(ctx: Ctx, _: IdentityManager) -> ResolveSummary:
    """Rebuild every profile from all events and links (profile ids change)."""
    result = await run_in_threadpool(IdentityService(ctx.store, ctx.settings).rebuild)
    return ResolveSummary(**result.summary())
