"""Probabilistic matching: run it, list the review band, accept or reject a pair."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx, IdentityManager, ProfilesReader
from unicx.identity.matching import MatchReport, match_profiles
from unicx.identity.reviews import Review, decide_review, list_reviews

router = APIRouter(prefix="/v1/identity", tags=["identity"])

MAX_FOCUS_IDS = 100_000
ReviewStatus = Literal["open", "accepted", "rejected", "refused", "stale"]


class MatchRequest(BaseModel):
    profile_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None,
        max_length=MAX_FOCUS_IDS,
        description="Only pairs with at least one of these profiles; omit for every profile.",
    )


class Decision(BaseModel):
    decision: Literal["accept", "reject"]


@router.post("/match", response_model=MatchReport)
async def match(ctx: Ctx, who: IdentityManager, body: MatchRequest | None = None) -> MatchReport:
    """Score profiles that share no identifier; merge the sure pairs, queue the likely ones."""
    ids = body.profile_ids if body is not None else None
    return await run_in_threadpool(
        match_profiles, ctx.store, ctx.settings, profile_ids=ids, actor=who.key_id
    )


@router.get("/reviews", response_model=list[Review])
async def reviews(
    ctx: Ctx,
    _: ProfilesReader,
    status: ReviewStatus | None = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Review]:
    """Pairs waiting for a decision (or, with ``status``, decided ones), most likely first."""
    return await run_in_threadpool(list_reviews, ctx.store, status=status, limit=limit)


@router.post("/reviews/{pair_id}", response_model=Review)
async def decide(
    ctx: Ctx,
    who: IdentityManager,
    pair_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: Decision,
) -> Review:
    """Accept (merge the two profiles, the older one wins) or reject (never proposed again)."""
    return await run_in_threadpool(
        decide_review,
        ctx.store,
        ctx.settings,
        pair_id,
        accept=body.decision == "accept",
        actor=who.key_id,
    )
