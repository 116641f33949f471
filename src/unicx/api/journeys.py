"""Journeys: create, validate, update, publish, pause, resume, archive, migrate, simulate and
their analytics. Definitions are JSON (docs/journeys.md); the YAML form goes through the CLI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from unicx.api.body import body_schema, read_model
from unicx.api.deps import Ctx, JourneysReader, JourneysWriter
from unicx.journeys.analytics import journey_stats
from unicx.journeys.models import (
    JourneyPublic,
    JourneyStats,
    JourneySummary,
    JourneyValidation,
    MigrateBody,
    MigrationResult,
    SimulationRequest,
    SimulationResult,
)
from unicx.journeys.service import JourneyService
from unicx.journeys.simulate import simulate
from unicx.segments.models import DefinitionBody

router = APIRouter(prefix="/v1", tags=["journeys"])
Ref = Annotated[str, Path(min_length=1, max_length=200)]
MAX_BODY = 512 * 1024


def _service(ctx: Ctx) -> JourneyService:
    return JourneyService(ctx.store, outbound_allow=ctx.settings.outbound_allow)


def _woken(ctx: Ctx, result: JourneyPublic) -> JourneyPublic:
    if ctx.messaging is not None:
        ctx.messaging.wake()
    return result


@router.get("/journeys", response_model=list[JourneySummary])
async def list_journeys(ctx: Ctx, _: JourneysReader) -> list[JourneySummary]:
    """Every journey with its status, versions, people entered and in progress."""
    return await run_in_threadpool(_service(ctx).list)


@router.post(
    "/journeys",
    status_code=201,
    response_model=JourneyPublic,
    openapi_extra=body_schema(DefinitionBody),
)
async def create_journey(ctx: Ctx, _: JourneysWriter, request: Request) -> JourneyPublic:
    """Save a draft (version 1) after validating it; publish it to let people in."""
    body = await read_model(request, DefinitionBody, max_bytes=MAX_BODY)
    return await run_in_threadpool(_service(ctx).create, body.definition, now=ctx.clock.now())


@router.post(
    "/journeys/validate",
    response_model=JourneyValidation,
    openapi_extra=body_schema(DefinitionBody),
)
async def validate_journey(ctx: Ctx, _: JourneysReader, request: Request) -> JourneyValidation:
    """Check a definition (graph, channels, templates, segments) without saving it."""
    body = await read_model(request, DefinitionBody, max_bytes=MAX_BODY)
    return await run_in_threadpool(_service(ctx).validate, body.definition, now=ctx.clock.now())


@router.post(
    "/journeys/simulate",
    response_model=SimulationResult,
    openapi_extra=body_schema(SimulationRequest),
)
async def simulate_journey(ctx: Ctx, _: JourneysReader, request: Request) -> SimulationResult:
    """Run a definition over a sampled or generated audience with a simulated clock: how many
    people reach each node and where they exit. Nothing is sent or saved."""
    body = await read_model(request, SimulationRequest, max_bytes=MAX_BODY)
    return await run_in_threadpool(simulate, ctx.store, ctx.settings, body, now=ctx.clock.now())


@router.get("/journeys/{ref}", response_model=JourneyPublic)
async def get_journey(ctx: Ctx, _: JourneysReader, ref: Ref) -> JourneyPublic:
    return await run_in_threadpool(_service(ctx).get, ref)


@router.put(
    "/journeys/{ref}", response_model=JourneyPublic, openapi_extra=body_schema(DefinitionBody)
)
async def update_journey(ctx: Ctx, _: JourneysWriter, ref: Ref, request: Request) -> JourneyPublic:
    """Save a new version; people already in stay on theirs (see migrate)."""
    body = await read_model(request, DefinitionBody, max_bytes=MAX_BODY)
    return await run_in_threadpool(_service(ctx).update, ref, body.definition, now=ctx.clock.now())


@router.post("/journeys/{ref}/publish", response_model=JourneyPublic)
async def publish_journey(ctx: Ctx, _: JourneysWriter, ref: Ref) -> JourneyPublic:
    result = await run_in_threadpool(_service(ctx).publish, ref, now=ctx.clock.now())
    return _woken(ctx, result)


@router.post("/journeys/{ref}/pause", response_model=JourneyPublic)
async def pause_journey(ctx: Ctx, _: JourneysWriter, ref: Ref) -> JourneyPublic:
    return await run_in_threadpool(_service(ctx).set_status, ref, "paused", now=ctx.clock.now())


@router.post("/journeys/{ref}/resume", response_model=JourneyPublic)
async def resume_journey(ctx: Ctx, _: JourneysWriter, ref: Ref) -> JourneyPublic:
    result = await run_in_threadpool(
        _service(ctx).set_status, ref, "published", now=ctx.clock.now()
    )
    return _woken(ctx, result)


@router.post("/journeys/{ref}/archive", response_model=JourneyPublic)
async def archive_journey(ctx: Ctx, _: JourneysWriter, ref: Ref) -> JourneyPublic:
    return await run_in_threadpool(_service(ctx).set_status, ref, "archived", now=ctx.clock.now())


@router.post(
    "/journeys/{ref}/migrate",
    response_model=MigrationResult,
    openapi_extra=body_schema(MigrateBody),
)
async def migrate_journey(
    ctx: Ctx, _: JourneysWriter, ref: Ref, request: Request
) -> MigrationResult:
    """Move people in progress on one version to another (default: the published one)."""
    body = await read_model(request, MigrateBody, max_bytes=4096)
    return await run_in_threadpool(
        _service(ctx).migrate,
        ref,
        from_version=body.from_version,
        to_version=body.to_version,
        now=ctx.clock.now(),
    )


@router.get("/journeys/{ref}/stats", response_model=JourneyStats)
async def stats(ctx: Ctx, _: JourneysReader, ref: Ref) -> JourneyStats:
    """Entered, in progress, exits per reason, per-node visits, messages per channel and
    status, goal conversion vs holdout with the uplift's 95 % interval, median time to
    convert, and the same per lifecycle stage."""
    return await run_in_threadpool(journey_stats, ctx.store, ref)
