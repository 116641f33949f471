"""The realtime pipeline's own report: how far profiles and segments lag behind ingest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from unicx.api.deps import Ctx, ProfilesReader
from unicx.profiles.passlog import HISTORY, PipelineStatus

router = APIRouter(prefix="/v1", tags=["profiles"])


@router.get("/pipeline", response_model=PipelineStatus)
async def pipeline_status(
    ctx: Ctx,
    _: ProfilesReader,
    after: Annotated[float, Query(ge=0, description="list passes started after (Unix s)")] = 0.0,
    limit: Annotated[int, Query(ge=0, le=HISTORY)] = 1000,
) -> PipelineStatus:
    """Lag of identity → traits/consent → segments behind the last ingest commit, and the
    passes that ran (a pass reflects every event committed before its ``started``)."""
    if ctx.updater is None:
        return PipelineStatus(
            running=False, passes=0, busy=False, backlog_since=None, lag_s=0.0,
            last_pass_s=None, recent=[],
        )  # fmt: skip
    # Only a lock and a copy of at most `limit` small records: cheap on the event loop.
    return ctx.updater.status(after=after, limit=limit)
