"""Journeys: the list (status, people, goal conversion and uplift vs holdout), one journey drawn
as a canvas with its numbers, versions and status actions, and a dry run drawn on the same
canvas. Every figure comes from the journeys domain (the services the API calls)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.errors import ConflictError, NotFoundError, ValidationError
from unicx.journeys.analytics import goals
from unicx.journeys.service import JourneyService
from unicx.web.deps import page_for
from unicx.web.journeys import detail, simulate_form
from unicx.web.journeys.example import CART_ABANDONMENT, CART_ABANDONMENT_JSON
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.journeys_read))]
Writer = Annotated[WebUser, Depends(page_for(Permission.journeys_write))]
PAGE_SIZE = 25
STATUS_FILTERS = ("", "draft", "published", "paused", "archived")


def _(text: str) -> str:
    """Marks a label for extraction; templates translate it when they render."""
    return text


# The lifecycle stages the canvas's lanes are named after (journeys.definition.STAGES).
STAGE_LABELS = (
    _("awareness"), _("interest"), _("consideration"), _("intent"), _("purchase"),
    _("conversion"), _("retention"), _("loyalty"),
)  # fmt: skip
ACTIONS = {"publish": "published", "pause": "paused", "resume": "published", "archive": "archived"}


def service(ctx: Ctx) -> JourneyService:
    return JourneyService(ctx.store, outbound_allow=ctx.settings.outbound_allow)


@router.get("/journeys")
def journeys(
    request: Request,
    ctx: Ctx,
    user: Reader,
    status: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    status = status if status in STATUS_FILTERS else ""
    everyone = service(ctx).list()
    shown = [j for j in everyone if not status or j.status == status]
    rows = shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return render(
        request, "journeys/list.html", user=user, rows=rows,
        goals=goals(ctx.store, [j.journey_id for j in rows]), shown_status=status, page=page,
        more=len(shown) > page * PAGE_SIZE, total=len(everyone), statuses=STATUS_FILTERS[1:],
        example_json=CART_ABANDONMENT_JSON,
    )  # fmt: skip


@router.post("/journeys/example")
def create_example(ctx: Ctx, user: Writer) -> Response:
    """The empty state's button: save the cart-abandonment example as a draft."""
    del user
    created = service(ctx).create(CART_ABANDONMENT, now=ctx.clock.now())
    return RedirectResponse(f"/journeys/{created.journey_id}?done=created", status_code=303)


@router.get("/journeys/{journey_id}")
def journey(
    request: Request,
    ctx: Ctx,
    user: Reader,
    journey_id: str,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    return detail.page(request, ctx, user, journey_id, version=version)


@router.post("/journeys/{journey_id}/{action}")
def act(
    request: Request,
    ctx: Ctx,
    user: Writer,
    journey_id: str,
    action: str,
    confirm: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """publish, pause, resume, archive (archive asks for the journey's name)."""
    if action not in ACTIONS:
        raise NotFoundError(f"no action {action[:40]!r}")
    svc = service(ctx)
    current = svc.get(journey_id)
    if action == "archive" and confirm.strip() != current.name:
        errors = {"confirm": "type_name"}
        return detail.page(request, ctx, user, journey_id, errors=errors, status=400)
    try:
        if action == "publish":
            svc.publish(journey_id, now=ctx.clock.now())
        else:
            svc.set_status(journey_id, ACTIONS[action], now=ctx.clock.now())
    except (ConflictError, ValidationError) as exc:
        return detail.page(request, ctx, user, journey_id, failure=exc.message, status=409)
    if action in ("publish", "resume") and ctx.messaging is not None:
        ctx.messaging.wake()  # as the API does: the worker picks the journey up at once
    return RedirectResponse(f"/journeys/{current.journey_id}?done={action}", status_code=303)


@router.get("/journeys/{journey_id}/simulate")
def simulate(request: Request, ctx: Ctx, user: Reader, journey_id: str) -> Response:
    return simulate_form.page(request, ctx, user, journey_id)
