"""Audience exploration reports over HTTP: JSON (parameters echoed, rows) or a CSV download."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from unicx.api.context import AppContext
from unicx.api.deps import Ctx, ReportsReader
from unicx.reports import models as m
from unicx.reports import service

router = APIRouter(prefix="/v1/reports", tags=["reports"])

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The report"}
}


@dataclass(frozen=True)
class CommonQuery:
    """The query parameters every report takes."""

    start: date | None
    end: date | None
    segment: str | None
    format: Literal["json", "csv"]

    def args(self) -> dict[str, date | str | None]:
        return {"start": self.start, "end": self.end, "segment": self.segment}


def _filter(
    start: Annotated[
        date | None,
        Query(
            alias="from",
            description="First local day (inclusive); default: 30 days before `to` (cohorts: "
            "the start of the last `periods` periods).",
        ),
    ] = None,
    end: Annotated[
        date | None,
        Query(alias="to", description="Local day after the range (exclusive); default: tomorrow."),
    ] = None,
    segment: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Limit to a segment (id or name)."),
    ] = None,
    format: Annotated[
        Literal["json", "csv"], Query(description="json, or csv for a download")
    ] = "json",
) -> CommonQuery:
    return CommonQuery(start, end, segment, format)


Common = Annotated[CommonQuery, Depends(_filter)]
Level = Annotated[m.ItemLevel, Query(description="category or product")]
R = TypeVar("R", bound=m.Report)


async def _answer(
    ctx: AppContext, common: CommonQuery, run: Callable[..., R], **kw: object
) -> R | Response:
    """Run the report off the event loop; answer its JSON or its CSV download."""
    report = await run_in_threadpool(run, ctx.store, ctx.settings, **common.args(), **kw)
    if common.format == "json":
        return report
    return Response(
        report.csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{report.filename()}"'},
    )


@router.get("/geography", response_model=m.GeographyReport, responses=CSV_RESPONSE)
async def geography(
    ctx: Ctx,
    _: ReportsReader,
    common: Common,
    level: Annotated[m.GeoLevel, Query(description="country or city")] = "country",
    limit: Annotated[int, Query(ge=1, le=service.MAX_ROWS)] = 100,
) -> m.GeographyReport | Response:
    """Active users, buyers, orders, revenue, revenue per user and conversion per place."""
    return await _answer(ctx, common, service.geography, level=level, limit=limit)


@router.get("/products", response_model=m.ProductsReport, responses=CSV_RESPONSE)
async def products(
    ctx: Ctx,
    _: ReportsReader,
    common: Common,
    level: Level = "category",
    limit: Annotated[int, Query(ge=1, le=service.MAX_ROWS)] = 100,
) -> m.ProductsReport | Response:
    """Views, adds, buyers, units, revenue and growth against the previous period."""
    return await _answer(ctx, common, service.products, level=level, limit=limit)


@router.get("/affinity", response_model=m.AffinityReport, responses=CSV_RESPONSE)
async def affinity(
    ctx: Ctx,
    _: ReportsReader,
    common: Common,
    level: Level = "category",
    min_support: Annotated[float, Query(ge=0, le=1, description="Least share of buyers")] = 0.01,
    min_count: Annotated[int, Query(ge=1, le=1_000_000, description="Least buyers of both")] = 2,
    item: Annotated[
        str | None,
        Query(min_length=1, max_length=service.MAX_ITEM_CHARS, description="Pairs from it only"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAIRS)] = 50,
) -> m.AffinityReport | Response:
    """Pairs of items bought by the same people, with support, confidence and lift."""
    return await _answer(
        ctx, common, service.affinity, level=level, min_support=min_support,
        min_count=min_count, item=item, limit=limit,
    )  # fmt: skip


@router.get("/funnel", response_model=m.FunnelReport, responses=CSV_RESPONSE)
async def funnel(
    ctx: Ctx,
    _: ReportsReader,
    common: Common,
    by: Annotated[m.FunnelBy, Query(description="First-touch breakdown")] = "none",
) -> m.FunnelReport | Response:
    """People per lifecycle stage, conversion, drop-off and median time between stages."""
    return await _answer(ctx, common, service.funnel, by=by)


@router.get("/cohorts", response_model=m.CohortsReport, responses=CSV_RESPONSE)
async def cohorts(
    ctx: Ctx,
    _: ReportsReader,
    common: Common,
    by: Annotated[m.CohortBy, Query(description="What starts a cohort")] = "first_purchase",
    period: Annotated[m.Period, Query(description="week or month")] = "month",
    periods: Annotated[int, Query(ge=1, le=service.MAX_PERIODS)] = 6,
) -> m.CohortsReport | Response:
    """Retention per first-purchase or first-seen cohort. Default range: the last `periods`."""
    return await _answer(ctx, common, service.cohorts, by=by, period=period, periods=periods)
