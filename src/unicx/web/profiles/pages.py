"""Profiles: search (by any identifier or by name, diacritics aside) and Profile 360.

Profile 360 paints the person first; its timeline and what the person would be recommended and
offered load as htmx fragments (each also a page of its own without JavaScript).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import JsonValue
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.errors import NotFoundError, ValidationError
from unicx.personalize.decide import Decider
from unicx.personalize.models import Decision
from unicx.personalize.offers import OfferService
from unicx.personalize.person import RecProvider, top_products_provider
from unicx.profiles import search as profile_search
from unicx.recommend.models import Recommendations
from unicx.recommend.serving import Recommender
from unicx.web.deps import page_for
from unicx.web.profiles import timeline, view
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.profiles_read))]
ProfileId = Annotated[str, Path(min_length=1, max_length=64)]
PER_PAGE = 20
MAX_PAGE = profile_search.MAX_OFFSET // PER_PAGE + 1
RECOMMENDATIONS = 6


@router.get("/profiles")
async def search_page(
    request: Request,
    ctx: Ctx,
    user: Reader,
    q: Annotated[str, Query(max_length=profile_search.MAX_QUERY_CHARS)] = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    results, error = None, None
    if q.strip():
        try:
            results = await run_in_threadpool(
                profile_search.search, ctx.store, q, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
            )
        except ValidationError as exc:
            error = exc.message
    status = 400 if error else 200
    return render(request, "profiles/search.html", user=user, q=q, page=page, results=results,
                  error=error, status=status)  # fmt: skip


@router.get("/profiles/{profile_id}")
async def profile_page(request: Request, ctx: Ctx, user: Reader, profile_id: ProfileId) -> Response:
    person = await run_in_threadpool(view.load, ctx, profile_id)
    return render360(request, user, person)


def render360(
    request: Request, user: WebUser, person: view.Profile360, *, status: int = 200,
    erase_error: str | None = None, confirm: str = "",
) -> Response:  # fmt: skip
    return render(request, "profiles/profile.html", user=user, p=person, h=person.header,
                  erase_error=erase_error, confirm=confirm, status=status,
                  confirm_word=person.header["email"] or person.profile.profile_id)  # fmt: skip


@router.get("/profiles/{profile_id}/timeline")
async def timeline_fragment(
    request: Request,
    ctx: Ctx,
    user: Reader,
    profile_id: ProfileId,
    type: Annotated[str, Query(max_length=16)] = "all",
    event: Annotated[str | None, Query(max_length=200)] = None,
    before: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    kind = timeline.check_kind(type)
    if kind != "events" and not user.can(Permission.messages_read):
        kind = "events"  # the message log is messages:read's; events stay visible
    name = (event or "").strip() or None
    shown = await run_in_threadpool(
        timeline.load, ctx, profile_id, kind=kind, event=name, before=before
    )
    fragment = bool(request.headers.get("hx-request"))
    template = "profiles/_timeline.html" if fragment else "profiles/timeline_page.html"
    return render(request, template, user=user, profile_id=profile_id, t=shown,
                  summary=timeline.summary, common_events=timeline.COMMON_EVENTS)  # fmt: skip


@router.get("/profiles/{profile_id}/offers")
async def offers_fragment(
    request: Request,
    ctx: Ctx,
    user: Annotated[WebUser, Depends(page_for(Permission.personalize_serve))],
    profile_id: ProfileId,
    placement: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Recommendations and the offer decision as the person would get them now (previews:
    neither is logged, so the dashboard never counts as an impression or a bandit trial)."""
    placements = await run_in_threadpool(_placements, ctx)
    chosen = placement if placement in placements else (placements[0] if placements else None)
    recs = await run_in_threadpool(_recommendations, ctx, profile_id)
    decision = await run_in_threadpool(_decision, ctx, profile_id, chosen) if chosen else None
    fragment = bool(request.headers.get("hx-request"))
    template = "profiles/_offers.html" if fragment else "profiles/offers_page.html"
    return render(request, template, user=user, profile_id=profile_id, recs=recs,
                  decision=decision, placements=placements, placement=chosen)  # fmt: skip


def _placements(ctx: Ctx) -> list[str]:
    return sorted({o.placement for o in OfferService(ctx.store).all() if o.status == "active"})


def _recommender(ctx: Ctx) -> Recommender:
    # The server's own recommender (its index is loaded once), as the API's routes use it.
    if ctx.recommender is None:
        ctx.recommender = Recommender(ctx.store, ctx.settings)
    recommender: Recommender = ctx.recommender
    return recommender


def _recommendations(ctx: Ctx, profile_id: str) -> Recommendations | None:
    try:
        return _recommender(ctx).for_profile(
            profile_id, k=RECOMMENDATIONS, context="home", cart=[], placement="dashboard",
            now=datetime.now(UTC), record=False,
        )  # fmt: skip
    except NotFoundError:  # not in the serving index yet (a person seen after training)
        return None


def _decision(ctx: Ctx, profile_id: str, placement: str) -> Decision:
    now = datetime.now(UTC)
    decider = Decider(ctx.store, ctx.settings, recommendations=_preview_provider(ctx, now))
    return decider.decide(profile_id, placement=placement, now=now, record=False)


def _preview_provider(ctx: Ctx, now: datetime) -> RecProvider:
    """Recommendations for an offer's template as the API's provider gives them, unlogged."""
    fallback = top_products_provider(ctx.store, ctx.settings, now=now)
    recommender = _recommender(ctx)

    def provide(profile_id: str | None, k: int) -> list[dict[str, JsonValue]]:
        if profile_id is None:
            return fallback(None, k)
        answer = recommender.for_profile(profile_id, k=k, context="home", cart=[],
                                         placement="offer", now=now, record=False)  # fmt: skip
        return [i.model_dump(mode="json") for i in answer.items] or fallback(None, k)

    return provide
