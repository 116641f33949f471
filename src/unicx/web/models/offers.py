"""Offers and content blocks: the list by placement, one offer's form (create, change, retire:
personalize:write) and its template previewed for a chosen person in Vietnamese and English.

Reading offers needs personalize:serve, as GET /v1/offers; previewing a draft needs
personalize:write, as POST /v1/offers/validate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.errors import ConflictError, NotFoundError, UnicxError
from unicx.personalize.models import OfferCreate, OfferPublic, OfferUpdate
from unicx.personalize.offers import OfferService
from unicx.personalize.preview import Preview, preview
from unicx.web.deps import page_for
from unicx.web.messaging.common import clean, tabs
from unicx.web.models.common import TABS
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.personalize_serve))]
Writer = Annotated[WebUser, Depends(page_for(Permission.personalize_write))]
OfferId = Annotated[str, Path(min_length=1, max_length=100)]
FIELDS = ("name", "placement", "channel", "description", "eligibility", "priority", "weight",
          "template", "locale", "is_default")  # fmt: skip
NEED_PROFILE = "need_profile"  # the page words it in the reader's language
EMPTY = {"channel": "web", "locale": "vi", "priority": "0", "weight": "1", "template": "",
         "name": "", "placement": "", "description": "", "eligibility": ""}  # fmt: skip


class _Text(HTMLParser):
    """The words of rendered HTML, blocks on their own lines (the page shows the preview as
    text: the offer's own markup never runs inside the dashboard)."""

    BLOCKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "tr", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _now() -> datetime:
    return datetime.now(UTC)


def as_form(offer: OfferPublic) -> dict[str, str]:
    values = {k: str(getattr(offer, k)) for k in FIELDS if k not in ("eligibility", "is_default")}
    values["eligibility"] = (
        json.dumps(offer.eligibility, ensure_ascii=False, indent=2) if offer.eligibility else ""
    )
    values["is_default"] = "on" if offer.is_default else ""
    values["weight"] = f"{offer.weight:g}"
    return values


def _body(form: dict[str, str]) -> dict[str, Any]:
    """The offer as typed; text the model refuses goes through as is (its error names it)."""
    body: dict[str, Any] = {
        k: form.get(k, "") for k in FIELDS if k not in ("eligibility", "is_default")
    }
    body["is_default"] = "is_default" in form
    text = form.get("eligibility", "").strip()
    try:
        body["eligibility"] = json.loads(text) if text else None
    except ValueError:
        body["eligibility"] = text
    return body


def _errors(exc: Exception) -> dict[str, str]:
    """Each problem at the field it concerns (the first part of its path)."""
    if isinstance(exc, PydanticValidationError):
        return {str(e["loc"][0]): str(e["msg"]) for e in reversed(exc.errors())}
    assert isinstance(exc, UnicxError)
    issues = getattr(exc, "issues", None) or []
    if issues:
        return {i.field.split(".")[0].split("[")[0]: i.message for i in reversed(issues)}
    if isinstance(exc, ConflictError):
        return {"is_default" if "default" in exc.message else "name": exc.message}
    return {"form": exc.message}


def _page(request: Request, ctx: Ctx, user: WebUser, **extra: Any) -> Response:
    offers = OfferService(ctx.store).all()
    extra.setdefault("form", dict(EMPTY))
    extra.setdefault("errors", {})
    return render(request, "models/offers.html", user=user, tabs=tabs(request, user, TABS),
                  offers=offers, text_of=text_of, **extra)  # fmt: skip


def _preview(
    ctx: Ctx, template: str, channel: str, profile_id: str
) -> tuple[Preview | None, str | None]:
    try:
        return preview(ctx.store, ctx.settings, template=template, channel=channel,
                       profile_id=profile_id, now=_now()), None  # fmt: skip
    except (UnicxError, PydanticValidationError) as exc:
        return None, "; ".join(_errors(exc).values())


@router.get("/models/offers")
async def offers_page(
    request: Request,
    ctx: Ctx,
    user: Reader,
    offer: Annotated[str | None, Query(max_length=100)] = None,
    profile_id: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    def run() -> Response:
        ref, pid = clean(offer), clean(profile_id)
        chosen = OfferService(ctx.store).get(ref) if ref is not None else None
        shown, problem = (None, None)
        if chosen and pid:
            shown, problem = _preview(ctx, chosen.template, chosen.channel, pid)
        form = as_form(chosen) if chosen else dict(EMPTY)
        return _page(request, ctx, user, chosen=chosen, form=form, profile_id=clean(profile_id),
                     shown=shown, preview_error=problem)  # fmt: skip

    return await run_in_threadpool(run)


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@router.post("/models/offers/preview")
async def preview_draft(request: Request, ctx: Ctx, user: Writer) -> Response:
    """The form as typed, previewed for the chosen person (nothing saved)."""
    form = await _form(request)
    chosen_id = clean(form.get("offer_id"))

    def run() -> Response:
        chosen = OfferService(ctx.store).get(chosen_id) if chosen_id is not None else None
        pid = clean(form.get("profile_id"))
        shown, problem = (
            (None, NEED_PROFILE)
            if not pid
            else _preview(ctx, form.get("template", ""), form.get("channel", "web"), pid)
        )
        status = 400 if problem else 200
        return _page(request, ctx, user, chosen=chosen, form=form, profile_id=pid, shown=shown,
                     preview_error=problem, status=status)  # fmt: skip

    return await run_in_threadpool(run)


@router.post("/models/offers")
async def create(request: Request, ctx: Ctx, user: Writer) -> Response:
    form = await _form(request)

    def run() -> Response:
        try:
            saved = OfferService(ctx.store).create(
                OfferCreate.model_validate(_body(form)), now=_now()
            )
        except (UnicxError, PydanticValidationError) as exc:
            return _page(
                request, ctx, user, chosen=None, form=form, errors=_errors(exc), status=400
            )
        return RedirectResponse(f"/models/offers?offer={saved.offer_id}&saved=1", status_code=303)

    return await run_in_threadpool(run)


@router.post("/models/offers/{offer_id}")
async def update(request: Request, ctx: Ctx, user: Writer, offer_id: OfferId) -> Response:
    form = await _form(request)

    def run() -> Response:
        service = OfferService(ctx.store)
        chosen = service.get(offer_id)
        body = _body(form)
        try:
            change = OfferUpdate.model_validate(
                {**body, "clear_eligibility": body["eligibility"] is None}
            )
            service.update(chosen.offer_id, change, now=_now())
        except (UnicxError, PydanticValidationError) as exc:
            if isinstance(exc, NotFoundError):
                raise
            return _page(
                request, ctx, user, chosen=chosen, form=form, errors=_errors(exc), status=400
            )
        return RedirectResponse(f"/models/offers?offer={chosen.offer_id}&saved=1", status_code=303)

    return await run_in_threadpool(run)


@router.post("/models/offers/{offer_id}/retire")
async def retire(request: Request, ctx: Ctx, user: Writer, offer_id: OfferId) -> Response:
    """A destructive action: the offer's name must be typed to confirm it."""
    form = await _form(request)

    def run() -> Response:
        service = OfferService(ctx.store)
        chosen = service.get(offer_id)
        if form.get("confirm", "").strip() != chosen.name:
            errors = {"confirm": "type the offer's name to retire it"}
            return _page(
                request, ctx, user, chosen=chosen, form=as_form(chosen), errors=errors, status=400
            )
        service.delete(chosen.offer_id, now=_now())
        return RedirectResponse("/models/offers?retired=1", status_code=303)

    return await run_in_threadpool(run)
