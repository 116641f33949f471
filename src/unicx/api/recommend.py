"""Product catalog, recommendations, similar items, rules and the placement report."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from unicx.api.body import body_schema, read_limited, read_model
from unicx.api.deps import Ctx, PersonalizeServer, PersonalizeWriter, ReportsReader
from unicx.errors import FieldIssue, ValidationError
from unicx.recommend import catalog
from unicx.recommend.models import (
    CatalogItemPublic,
    CatalogPage,
    PlacementRow,
    Recommendations,
)
from unicx.recommend.report import placement_report
from unicx.recommend.rules import Rules, save_rules
from unicx.recommend.serving import Recommender

router = APIRouter(prefix="/v1", tags=["recommend"])
MAX_CATALOG_BYTES = 20 * 1024 * 1024
Sku = Annotated[str, Path(min_length=1, max_length=200)]
K = Annotated[int, Query(ge=1, le=100, description="How many items")]
Context = Annotated[str, Query(max_length=220, description="home, cart or product:<sku>")]


def _recommender(ctx: Ctx) -> Recommender:
    if ctx.recommender is None:
        ctx.recommender = Recommender(ctx.store, ctx.settings)
    recommender: Recommender = ctx.recommender
    return recommender


def _now() -> datetime:
    return datetime.now(UTC)


class ItemBody(BaseModel):
    """A JSON object (fields checked by catalog.CatalogItem; at most 64 KiB)."""

    model_config = {"extra": "allow"}


class CatalogBody(BaseModel):
    items: list[dict[str, Any]] = Field(max_length=catalog.MAX_ITEMS)


@router.get("/profiles/{profile_id}/recommendations", response_model=Recommendations)
async def recommendations(
    ctx: Ctx,
    _: PersonalizeServer,
    profile_id: Annotated[str, Path(min_length=1, max_length=200)],
    k: K = 10,
    context: Annotated[
        str, Query(max_length=220, description="home, cart, product:<sku>")
    ] = "home",
    cart: Annotated[str | None, Query(max_length=4000, description="Comma-separated skus")] = None,
    placement: Annotated[str, Query(min_length=1, max_length=64)] = "default",
) -> Recommendations:
    """Items for a person; carries a recommendation_id to send back with Product Clicked."""
    items = [c.strip() for c in (cart or "").split(",") if c.strip()]
    return await run_in_threadpool(
        _recommender(ctx).for_profile, profile_id, k=k, context=context, cart=items,
        placement=placement, now=datetime.now(UTC),
    )  # fmt: skip


@router.get("/items/{sku}/similar", response_model=Recommendations)
async def similar(ctx: Ctx, _: PersonalizeServer, sku: Sku, k: K = 10) -> Recommendations:
    """People who bought or viewed this also ... (not personalized)."""
    return await run_in_threadpool(_recommender(ctx).similar, sku, k=k, now=datetime.now(UTC))


@router.get("/recommendations/rules", response_model=Rules)
async def get_rules(ctx: Ctx, _: PersonalizeServer) -> Rules:
    return (await run_in_threadpool(_recommender(ctx).index.get)).rules


@router.put(
    "/recommendations/rules",
    response_model=Rules,
    openapi_extra=body_schema(Rules),
)
async def put_rules(ctx: Ctx, _: PersonalizeWriter, request: Request) -> Rules:
    """Replace the business rules (exclusions, boosts, diversity, pins, segment filters)."""
    rules = await read_model(request, Rules, max_bytes=64 * 1024)
    try:
        saved = await run_in_threadpool(save_rules, ctx.store, rules, now=datetime.now(UTC))
    except ValueError as exc:
        raise ValidationError(str(exc), issues=[FieldIssue("category_multipliers", "range",
                                                           str(exc))]) from None  # fmt: skip
    # The next answer already follows the new rules.
    await run_in_threadpool(_recommender(ctx).index.invalidate)
    return saved


@router.post(
    "/catalog/items",
    response_model=catalog.CatalogReport,
    openapi_extra=body_schema(CatalogBody),
)
async def upsert_items(ctx: Ctx, _: PersonalizeWriter, request: Request) -> catalog.CatalogReport:
    """Add or update catalog items ({"items": [{"id", "name", "category", "price",
    "available", "image", "url"}]}); bad rows are reported by number, good rows kept."""
    body = await read_model(request, CatalogBody, max_bytes=MAX_CATALOG_BYTES)
    return await run_in_threadpool(catalog.upsert, ctx.store, body.items, now=datetime.now(UTC))


@router.post("/catalog/import", response_model=catalog.CatalogReport)
async def import_items(
    ctx: Ctx,
    _: PersonalizeWriter,
    request: Request,
    file_name: Annotated[str, Query(max_length=200)] = "catalog.csv",
) -> catalog.CatalogReport:
    """A CSV (header: id,name,category,price,availability,image,url[,launched_at]) or JSON
    lines, as the body or as the ``file`` part of a multipart upload."""
    raw, name = await _catalog_file(request)
    file_name = name or file_name
    try:
        rows = catalog.parse_rows(raw, file_name=file_name)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(f"unreadable catalog file: {str(exc)[:200]}", issues=[]) from None
    if len(rows) > catalog.MAX_ITEMS:
        raise ValidationError(f"at most {catalog.MAX_ITEMS:,} items per file", issues=[])
    return await run_in_threadpool(catalog.upsert, ctx.store, rows, now=datetime.now(UTC))


async def _catalog_file(request: Request) -> tuple[bytes, str | None]:
    raw = await read_limited(request, MAX_CATALOG_BYTES + 64 * 1024)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return raw, None

    async def body() -> AsyncGenerator[bytes, None]:
        yield raw

    try:
        form = await MultiPartParser(request.headers, body(), max_files=1, max_fields=2).parse()
    except MultiPartException as exc:
        issue = FieldIssue("body", "multipart", exc.message)
        raise ValidationError(f"malformed multipart body: {exc.message}", issues=[issue]) from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ValidationError("a file part is required",
                              issues=[FieldIssue("file", "required", "no file part")])  # fmt: skip
    data = await upload.read()
    await form.close()
    if len(data) > MAX_CATALOG_BYTES:
        raise ValidationError(f"the file is over {MAX_CATALOG_BYTES} bytes",
                              issues=[FieldIssue("file", "max_bytes", "too large")])  # fmt: skip
    return data, upload.filename


@router.put(
    "/catalog/items/{sku}",
    response_model=CatalogItemPublic,
    openapi_extra=body_schema(catalog.CatalogItem),
)
async def put_item(ctx: Ctx, _: PersonalizeWriter, sku: Sku, request: Request) -> CatalogItemPublic:
    """Create or replace one item (the path names its id)."""
    body = await read_model(request, ItemBody, max_bytes=64 * 1024)
    await run_in_threadpool(catalog.put_item, ctx.store, sku, body.model_dump(), now=_now())
    return await run_in_threadpool(catalog.get_item, ctx.store, sku)


@router.get("/catalog/items", response_model=CatalogPage)
async def list_items(
    ctx: Ctx,
    _: PersonalizeServer,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CatalogPage:
    """The catalog by item id, one page at a time (``total``: all items)."""
    total, items = await run_in_threadpool(
        catalog.list_items, ctx.store, offset=offset, limit=limit
    )
    return CatalogPage(total=total, offset=offset, limit=limit, items=items)


@router.get("/reports/recommendations", response_model=list[PlacementRow])
async def recommendation_report(
    ctx: Ctx,
    _: ReportsReader,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query(description="exclusive")] = None,
) -> list[PlacementRow]:
    """Per placement: served, clicks, click-through rate, attributed orders and revenue."""
    tz = ZoneInfo(ctx.settings.timezone)
    end_day = to or (datetime.now(tz).date() + timedelta(days=1))
    start_day = from_ or (end_day - timedelta(days=30))
    if start_day >= end_day:
        raise ValidationError("empty range: from must be before to",
                              issues=[FieldIssue("from", "range", "from >= to")])  # fmt: skip
    start = datetime.combine(start_day, time(), tzinfo=tz)
    end = datetime.combine(end_day, time(), tzinfo=tz)
    await run_in_threadpool(_recommender(ctx).log.flush)  # answers still in the buffer count
    return await run_in_threadpool(placement_report, ctx.store, ctx.settings, start=start, end=end)
