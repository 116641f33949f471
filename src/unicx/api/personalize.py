"""Offers, content blocks, placements, sensitive traits and next-best-action decisions.

Bodies are read with a size cap and orjson's nesting cap (a hostile eligibility tree is a
400/413 naming the rule, never a recursion error); the services do the rest.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import JsonValue
from starlette.concurrency import run_in_threadpool

from unicx.api.body import body_schema, read_model
from unicx.api.deps import AnyPrincipal, Ctx, PersonalizeServer, PersonalizeWriter
from unicx.auth.models import Role
from unicx.errors import PermissionDeniedError
from unicx.personalize import sensitive
from unicx.personalize.decide import Decider
from unicx.personalize.models import (
    Decision,
    OfferCreate,
    OfferPublic,
    OfferUpdate,
    OfferValidation,
    PlacementPublic,
    PlacementSettings,
    SensitiveTrait,
    SensitivityBody,
)
from unicx.personalize.offers import OfferService
from unicx.personalize.person import RecProvider, top_products_provider

router = APIRouter(prefix="/v1", tags=["personalize"])
MAX_BODY = 256 * 1024  # as segments: room for a large (but valid) eligibility tree
OfferRef = Annotated[str, Path(min_length=1, max_length=100)]
PlacementName = Annotated[str, Path(min_length=1, max_length=64)]
TraitName = Annotated[str, Path(min_length=1, max_length=200)]
Strict = Annotated[bool, Query(description="Unknown event and property names are errors.")]


def _now() -> datetime:
    return datetime.now(UTC)


def _provider(ctx: Ctx) -> RecProvider:
    """Recommendations for templates: the recommendation service when its model is trained,
    else the workspace's top products."""
    fallback = top_products_provider(ctx.store, ctx.settings, now=_now())
    try:
        from unicx.recommend.serving import Recommender
    except ImportError:  # the recommend domain is optional for offers
        return fallback
    if ctx.recommender is None:
        ctx.recommender = Recommender(ctx.store, ctx.settings)
    recommender: Recommender = ctx.recommender

    def provide(profile_id: str | None, k: int) -> list[dict[str, JsonValue]]:
        """Items as a template reads them (item_id, name, price, ...)."""
        if profile_id is None:
            return fallback(None, k)
        answer = recommender.for_profile(profile_id, k=k, context="home", cart=[],
                                         placement="offer", now=_now())  # fmt: skip
        items = [item.model_dump(mode="json") for item in answer.items]
        return items or fallback(None, k)

    return provide


@router.get("/offers", response_model=list[OfferPublic])
async def list_offers(
    ctx: Ctx, _: PersonalizeServer, placement: Annotated[str | None, Query(max_length=64)] = None
) -> list[OfferPublic]:
    """Active offers, by placement and priority."""
    return await run_in_threadpool(OfferService(ctx.store).all, placement=placement)


@router.post(
    "/offers", response_model=OfferPublic, status_code=201, openapi_extra=body_schema(OfferCreate)
)
async def create_offer(
    ctx: Ctx, _: PersonalizeWriter, request: Request, strict: Strict = True
) -> OfferPublic:
    """Validate and save an offer; 400 names the broken path (eligibility, template line)."""
    body = await read_model(request, OfferCreate, max_bytes=MAX_BODY)
    return await run_in_threadpool(OfferService(ctx.store).create, body, now=_now(), strict=strict)


@router.post(
    "/offers/validate", response_model=OfferValidation, openapi_extra=body_schema(OfferCreate)
)
async def validate_offer(
    ctx: Ctx, _: PersonalizeWriter, request: Request, strict: Strict = True
) -> OfferValidation:
    """Check an offer without saving; returns the traits it reads and a sample rendering."""
    body = await read_model(request, OfferCreate, max_bytes=MAX_BODY)
    return await run_in_threadpool(
        OfferService(ctx.store).validate, body, now=_now(), strict=strict
    )


@router.get("/offers/{offer}", response_model=OfferPublic)
async def get_offer(ctx: Ctx, _: PersonalizeServer, offer: OfferRef) -> OfferPublic:
    return await run_in_threadpool(OfferService(ctx.store).get, offer)


@router.patch("/offers/{offer}", response_model=OfferPublic, openapi_extra=body_schema(OfferUpdate))
async def update_offer(
    ctx: Ctx, _: PersonalizeWriter, offer: OfferRef, request: Request, strict: Strict = True
) -> OfferPublic:
    """Change an offer (a new version); checked like a new one."""
    body = await read_model(request, OfferUpdate, max_bytes=MAX_BODY)
    return await run_in_threadpool(
        OfferService(ctx.store).update, offer, body, now=_now(), strict=strict
    )


@router.delete("/offers/{offer}", response_model=OfferPublic)
async def delete_offer(ctx: Ctx, _: PersonalizeWriter, offer: OfferRef) -> OfferPublic:
    """Retire an offer (the decision log keeps referring to it)."""
    return await run_in_threadpool(OfferService(ctx.store).delete, offer, now=_now())


@router.get("/placements/{placement}", response_model=PlacementPublic)
async def get_placement(
    ctx: Ctx, _: PersonalizeServer, placement: PlacementName
) -> PlacementPublic:
    return await run_in_threadpool(OfferService(ctx.store).placement, placement)


@router.put(
    "/placements/{placement}",
    response_model=PlacementPublic,
    openapi_extra=body_schema(PlacementSettings),
)
async def set_placement(
    ctx: Ctx, _: PersonalizeWriter, placement: PlacementName, request: Request
) -> PlacementPublic:
    """Exploration rate, holdout share and reward of a placement."""
    body = await read_model(request, PlacementSettings, max_bytes=4096)
    return await run_in_threadpool(
        OfferService(ctx.store).set_placement, placement, body, now=_now()
    )


@router.get("/profiles/{profile_id}/decide", response_model=Decision)
async def decide(
    ctx: Ctx,
    _: PersonalizeServer,
    profile_id: Annotated[str, Path(min_length=1, max_length=200)],
    placement: Annotated[str, Query(min_length=1, max_length=64)],
    device: Annotated[str | None, Query(max_length=64)] = None,
    country: Annotated[str | None, Query(max_length=64)] = None,
) -> Decision:
    """The offer to show: eligible offers, a contextual bandit, the decision logged with its
    propensity. 404: unknown profile or placement; no consent or holdout: the default."""
    decider = Decider(ctx.store, ctx.settings, recommendations=_provider(ctx))
    return await run_in_threadpool(
        decider.decide, profile_id, placement=placement, now=_now(), device=device, country=country
    )


# -- sensitive traits --------------------------------------------------------------------------


def _admin(who: AnyPrincipal) -> None:
    if who.role != Role.admin:
        raise PermissionDeniedError("only an admin key may change trait sensitivity")


@router.get("/personalize/sensitive-traits", response_model=list[SensitiveTrait])
async def list_sensitive(ctx: Ctx, _: PersonalizeServer) -> list[SensitiveTrait]:
    """Sensitive traits: admin marks, and trait names matching the default categories."""

    def run() -> list[SensitiveTrait]:
        with ctx.store.session() as s:
            return sensitive.list_sensitive(s)

    return await run_in_threadpool(run)


async def _mark(ctx: Ctx, who: AnyPrincipal, name: str, request: Request) -> SensitiveTrait:
    _admin(who)
    body = await read_model(request, SensitivityBody, max_bytes=4096, empty_ok=True)

    def run() -> SensitiveTrait:
        with ctx.store.session() as s:
            mark = sensitive.mark(s, name, sensitive=body.sensitive, category=body.category,
                                  reason=body.reason, actor=who.key_id, now=_now())  # fmt: skip
        return mark

    return await run_in_threadpool(run)


@router.put(
    "/personalize/sensitive-traits/{name}",
    response_model=SensitiveTrait,
    openapi_extra=body_schema(SensitivityBody),
)
async def mark_sensitive(
    ctx: Ctx, who: AnyPrincipal, name: TraitName, request: Request
) -> SensitiveTrait:
    """Mark a trait sensitive (or, with ``sensitive: false``, not sensitive); admin only."""
    return await _mark(ctx, who, name, request)


@router.put(
    "/traits/{name}/sensitivity",
    response_model=SensitiveTrait,
    openapi_extra=body_schema(SensitivityBody),
)
async def trait_sensitivity(
    ctx: Ctx, who: AnyPrincipal, name: TraitName, request: Request
) -> SensitiveTrait:
    """Same as ``PUT /v1/personalize/sensitive-traits/{name}``."""
    return await _mark(ctx, who, name, request)


@router.delete("/personalize/sensitive-traits/{name}", status_code=204)
async def unmark_sensitive(ctx: Ctx, who: AnyPrincipal, name: TraitName) -> None:
    """Remove an admin mark (the default patterns apply again); admin only."""
    _admin(who)

    def run() -> None:
        with ctx.store.session() as s:
            sensitive.unmark(s, name)

    await run_in_threadpool(run)
