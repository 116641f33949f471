"""Recommendation rules: exclusions, boosts, diversity, pinned items and segment filters
applied to every recommendation (personalize:write to change, like PUT
/v1/recommendations/rules)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.recommend.rules import Rules, load_rules, save_rules
from unicx.web.deps import page_for
from unicx.web.messaging.common import tabs
from unicx.web.models.common import TABS
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.personalize_serve))]
Writer = Annotated[WebUser, Depends(page_for(Permission.personalize_write))]


def _items(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]


def _pairs(text: str, sep: str) -> list[tuple[str, str]]:
    out = []
    for line in text.splitlines():
        if line.strip():
            key, _sep, value = line.partition(sep)
            out.append((key.strip(), value.strip()))
    return out


def from_form(form: dict[str, str]) -> dict[str, Any]:
    """The rules as typed: lists comma-separated, ``category = multiplier`` and
    ``segment: category, category`` one a line."""
    multipliers: dict[str, Any] = {}
    for category, value in _pairs(form.get("category_multipliers", ""), "="):
        try:
            multipliers[category] = float(value.replace(",", "."))
        except ValueError:
            multipliers[category] = value  # the model names the line it refuses
    top = form.get("max_per_category", "").strip()
    return {
        "exclude_purchased": "exclude_purchased" in form,
        "repurchasable_categories": _items(form.get("repurchasable_categories", "")),
        "exclude_unavailable": "exclude_unavailable" in form,
        "pinned": _items(form.get("pinned", "")),
        "category_multipliers": multipliers,
        "max_per_category": (int(top) if top.isdigit() else top) or None,
        "segment_filters": [{"segment_id": s, "categories": _items(c)}
                            for s, c in _pairs(form.get("segment_filters", ""), ":")],
    }  # fmt: skip


def _read(ctx: Ctx) -> Rules:
    with ctx.store.session() as s:
        return load_rules(s)


def _page(request: Request, user: WebUser, form: dict[str, str], **extra: Any) -> Response:
    return render(request, "models/rules.html", user=user, tabs=tabs(request, user, TABS),
                  form=form, saved=request.query_params.get("saved"), **extra)  # fmt: skip


def as_form(rules: Rules) -> dict[str, str]:
    """The rules as the form shows them (the inverse of :func:`from_form`)."""
    weights = rules.category_multipliers.items()
    filters = rules.segment_filters
    return {
        "exclude_purchased": "on" if rules.exclude_purchased else "",
        "repurchasable_categories": ", ".join(rules.repurchasable_categories),
        "exclude_unavailable": "on" if rules.exclude_unavailable else "",
        "pinned": ", ".join(rules.pinned),
        "category_multipliers": "\n".join(f"{k} = {v:g}" for k, v in weights),
        "max_per_category": str(rules.max_per_category or ""),
        "segment_filters": "\n".join(f"{f.segment_id}: {', '.join(f.categories)}" for f in filters),
    }  # fmt: skip


@router.get("/models/rules")
async def rules_page(request: Request, ctx: Ctx, user: Reader) -> Response:
    rules = await run_in_threadpool(_read, ctx)
    return _page(request, user, as_form(rules), errors={})


@router.post("/models/rules")
async def save(request: Request, ctx: Ctx, user: Writer) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    try:
        rules = Rules.model_validate(from_form(form))
        await run_in_threadpool(save_rules, ctx.store, rules, now=ctx.clock.now())
    except PydanticValidationError as exc:
        for err in exc.errors():
            errors.setdefault(
                str(err["loc"][0]), f"{'.'.join(map(str, err['loc'][1:]))} {err['msg']}".strip()
            )
    except ValueError as exc:
        errors["category_multipliers"] = str(exc)
    if errors:
        return _page(request, user, form, errors=errors, status=400)
    if ctx.recommender is not None:  # the next answer already follows the new rules
        await run_in_threadpool(ctx.recommender.index.invalidate)
    return RedirectResponse("/models/rules?saved=1", status_code=303)
