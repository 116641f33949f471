"""Model registry and training: list runs, the active version, train now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from unicx.api.body import body_schema, read_model
from unicx.api.deps import Ctx, ModelsReader, ModelsTrainer
from unicx.predict import service
from unicx.predict.models import ModelRun, TrainOutcome, TrainRequest

router = APIRouter(prefix="/v1", tags=["models"])
ModelName = Annotated[str, Path(min_length=1, max_length=40)]


@router.get("/models", response_model=list[ModelRun])
async def list_runs(
    ctx: Ctx,
    _: ModelsReader,
    model: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_RUNS)] = 100,
) -> list[ModelRun]:
    """Training runs, newest first: active, superseded and rejected (with the reason)."""
    return await run_in_threadpool(service.runs, ctx.store, model=model, limit=limit)


@router.get("/models/{model}", response_model=ModelRun)
async def active_run(ctx: Ctx, _: ModelsReader, model: ModelName) -> ModelRun:
    """The version whose outputs are in use, with its metrics."""
    return await run_in_threadpool(service.active, ctx.store, model)


@router.post(
    "/models/train",
    response_model=list[TrainOutcome],
    openapi_extra=body_schema(TrainRequest, required=False),
)
async def train_now(ctx: Ctx, _: ModelsTrainer, request: Request) -> list[TrainOutcome]:
    """Train now (all models by default); a model with too little data answers `rejected`
    with the reason and keeps its previous outputs."""
    body = await read_model(request, TrainRequest, max_bytes=4096, empty_ok=True)
    names = service.check_names(body.models)
    return await run_in_threadpool(
        service.train, ctx.store, ctx.settings, names=names, as_of=body.as_of
    )
