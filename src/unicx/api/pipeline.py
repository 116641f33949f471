"""The realtime pipeline's own report: how far profiles and segments lag behind ingest, and the
state of every stage of the runtime (unicx/runtime/chain.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from unicx.api.deps import Ctx, ProfilesReader
from unicx.profiles.passlog import HISTORY, PipelineStatus
from unicx.runtime.worker import StageStatus

router = APIRouter(prefix="/v1", tags=["profiles"])


class PipelinePublic(PipelineStatus):
    """The profile pipeline's lag and passes, and each runtime stage's health."""

    stages: list[StageStatus] = Field(
        description="every stage of the runtime in start order: running, lag, runs, last error"
    )


@router.get("/pipeline", response_model=PipelinePublic)
async def pipeline_status(
    ctx: Ctx,
    _: ProfilesReader,
    after: Annotated[float, Query(ge=0, description="list passes started after (Unix s)")] = 0.0,
    limit: Annotated[int, Query(ge=0, le=HISTORY)] = 1000,
) -> PipelinePublic:
    """Lag of identity → traits/consent → segments behind the last ingest commit, the passes
    that ran (a pass reflects every event committed before its ``started``), and the stages."""
    # Only locks and copies of small records: cheap on the event loop.
    if ctx.updater is None:
        passes = PipelineStatus(
            running=False, passes=0, busy=False, backlog_since=None, lag_s=0.0,
            last_pass_s=None, recent=[],
        )  # fmt: skip
    else:
        passes = ctx.updater.status(after=after, limit=limit)
    return PipelinePublic(**dict(passes), stages=ctx.runtime.status())
