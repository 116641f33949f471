"""Model runs: each model's version in use and its history, metrics, the reason a run was
rejected in plain words, and training now (models:train, like POST /v1/models/train)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.errors import ConflictError, ValidationError
from unicx.predict import service
from unicx.predict.models import ModelRun, TrainOutcome
from unicx.predict.train import TRAINERS
from unicx.web.deps import page_for
from unicx.web.messaging.common import tabs
from unicx.web.models.common import TABS
from unicx.web.models.explain import explain
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.models_read))]
Trainer = Annotated[WebUser, Depends(page_for(Permission.models_train))]
HISTORY = 100


@dataclass(frozen=True)
class Summary:
    model: str
    active: ModelRun | None
    latest: ModelRun | None


def _summaries(runs: list[ModelRun]) -> list[Summary]:
    out = []
    for name in TRAINERS:
        mine = [r for r in runs if r.model == name]
        active = next((r for r in mine if r.status == "active"), None)
        out.append(Summary(name, active, mine[0] if mine else None))
    return out


def _page(request: Request, ctx: Ctx, user: WebUser, model: str | None, **extra: Any) -> Response:
    runs = service.runs(ctx.store, model=model, limit=HISTORY)
    every = runs if model is None else service.runs(ctx.store, limit=HISTORY)
    return render(request, "models/runs.html", user=user, tabs=tabs(request, user, TABS),
                  runs=runs, summaries=_summaries(every), model=model, models=list(TRAINERS),
                  explain=explain, **extra)  # fmt: skip


@router.get("/models")
async def model_runs(
    request: Request,
    ctx: Ctx,
    user: Reader,
    model: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    chosen = model if model in TRAINERS else None
    return await run_in_threadpool(_page, request, ctx, user, chosen)


@router.post("/models/train")
async def train(request: Request, ctx: Ctx, user: Trainer) -> Response:
    form = await request.form()
    names = [str(n) for n in form.getlist("models")] or None
    as_of = str(form.get("as_of") or "").strip() or None
    outcomes: list[TrainOutcome] = []
    errors: dict[str, str] = {}
    status = 200
    try:
        outcomes = await run_in_threadpool(
            service.train, ctx.store, ctx.settings, names=service.check_names(names), as_of=as_of
        )
    except ValidationError as exc:
        errors, status = {i.field: i.message for i in exc.issues} or {"models": exc.message}, 400
    except ConflictError as exc:  # another training is running
        errors, status = {"models": exc.message}, 409
    return await run_in_threadpool(
        lambda: _page(
            request, ctx, user, None, outcomes=outcomes, errors=errors, as_of=as_of, status=status
        )
    )
