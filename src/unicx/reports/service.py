"""The reports' public functions, shared by the API and the CLI.

Every report takes the same filter: ``start``/``end`` local dates (``end`` exclusive; default:
the last 30 days, today included) and ``segment`` (an active segment's id or name; its current
members). Bad parameters raise ValidationError naming the parameter as the API spells it
(``from``, ``to``, ``level``, …); an unknown segment raises NotFoundError.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypedDict, TypeVar, Unpack, get_args

from unicx.config import Settings
from unicx.reports import affinity as affinity_sql
from unicx.reports import cohorts as cohorts_sql
from unicx.reports import funnel as funnel_sql
from unicx.reports import geo
from unicx.reports import products as products_sql
from unicx.reports.models import (
    AffinityReport,
    CohortBy,
    CohortsReport,
    FunnelBy,
    FunnelReport,
    GeographyReport,
    GeoLevel,
    ItemLevel,
    Period,
    ProductsReport,
    Report,
)
from unicx.reports.scope import Window, invalid, local_today, resolve_window
from unicx.store import Session, Store

MAX_ROWS = 10_000
MAX_PAIRS = 1_000
MAX_PERIODS = 60
MAX_ITEM_CHARS = 200


def _choice(field: str, value: str, options: Any) -> None:
    allowed = get_args(options)
    if value not in allowed:
        raise invalid(field, "choice", f"must be one of {', '.join(allowed)} (got {value!r})")


def _between(field: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise invalid(field, "range", f"must be between {low:g} and {high:g} (got {value:g})")


class Filter(TypedDict, total=False):
    """What every report takes: ``start``/``end`` local dates (``end`` exclusive), ``segment``
    (id or name), and ``now`` (the clock for defaults; tests set it)."""

    start: date | None
    end: date | None
    segment: str | None
    now: datetime | None


R = TypeVar("R", bound=Report)
Found = tuple[list[dict[str, Any]], dict[str, Any]]


def _report(
    store: Store,
    settings: Settings,
    report: type[R],
    common: Filter,
    run: Callable[[Session, Window], Found],
    echo: dict[str, Any],
    default_start: Callable[[date], date] | None = None,
) -> R:
    """Resolve the filter, run the query: the rows, and parameters to echo besides ``echo``."""
    with store.session() as s:
        window = resolve_window(s, settings, default_start=default_start, **common)
        rows, more = run(s, window)
    return report.model_validate({"params": {**window.echo(), **echo, **more}, "rows": rows})


def geography(
    store: Store,
    settings: Settings,
    *,
    level: GeoLevel = "country",
    limit: int = 100,
    **common: Unpack[Filter],
) -> GeographyReport:
    """Active users, buyers, orders and revenue per country (or country and city)."""
    _choice("level", level, GeoLevel)
    _between("limit", limit, 1, MAX_ROWS)

    def run(s: Session, w: Window) -> Found:
        return geo.rows(s, w, level=level, limit=limit), {}

    return _report(store, settings, GeographyReport, common, run, {"level": level, "limit": limit})


def products(
    store: Store,
    settings: Settings,
    *,
    level: ItemLevel = "category",
    limit: int = 100,
    **common: Unpack[Filter],
) -> ProductsReport:
    """Views, adds, buyers, units and revenue per category or product, with growth against
    the previous period of equal length."""
    _choice("level", level, ItemLevel)
    _between("limit", limit, 1, MAX_ROWS)

    def run(s: Session, w: Window) -> Found:
        found = products_sql.rows(s, w, level=level, limit=limit)
        return found, {"previous_from": products_sql.previous_start(w)}

    return _report(store, settings, ProductsReport, common, run, {"level": level, "limit": limit})


def affinity(
    store: Store,
    settings: Settings,
    *,
    level: ItemLevel = "category",
    min_support: float = 0.01,
    min_count: int = 2,
    item: str | None = None,
    limit: int = 50,
    **common: Unpack[Filter],
) -> AffinityReport:
    """Pairs of categories or products bought by the same people, by lift."""
    _choice("level", level, ItemLevel)
    _between("min_support", min_support, 0, 1)
    _between("min_count", min_count, 1, 1_000_000)
    _between("limit", limit, 1, MAX_PAIRS)
    if item is not None and not 0 < len(item) <= MAX_ITEM_CHARS:
        raise invalid("item", "length", f"must be 1 to {MAX_ITEM_CHARS} characters")
    echo: dict[str, Any] = {"level": level, "min_support": min_support, "min_count": min_count}
    echo |= {"item": item, "limit": limit}

    def run(s: Session, w: Window) -> Found:
        buyers, pairs = affinity_sql.run(
            s, w, level=level, min_support=min_support, min_count=min_count, item=item,
            limit=limit,
        )  # fmt: skip
        return pairs, {"buyers": buyers}

    return _report(store, settings, AffinityReport, common, run, echo)


def funnel(
    store: Store, settings: Settings, *, by: FunnelBy = "none", **common: Unpack[Filter]
) -> FunnelReport:
    """People per lifecycle stage (workspace funnel.yaml, else the default stages), conversion,
    drop-off and median time between stages, optionally per first-touch UTM value or channel."""
    _choice("by", by, FunnelBy)
    stages, source = funnel_sql.load_stages(settings)

    def run(s: Session, w: Window) -> Found:
        return funnel_sql.rows(s, w, stages=stages, by=by), {}

    echo = {"by": by, "stages": stages, "stages_source": source}
    return _report(store, settings, FunnelReport, common, run, echo)


def cohorts(
    store: Store,
    settings: Settings,
    *,
    by: CohortBy = "first_purchase",
    period: Period = "month",
    periods: int = 6,
    **common: Unpack[Filter],
) -> CohortsReport:
    """Retention of first-purchase (or first-seen) cohorts per week or month. Default range:
    the last ``periods`` periods, so each cohort of it appears."""
    _choice("by", by, CohortBy)
    _choice("period", period, Period)
    _between("periods", periods, 1, MAX_PERIODS)
    today = local_today(settings, common.get("now"))

    def run(s: Session, w: Window) -> Found:
        found = cohorts_sql.rows(s, w, by=by, period=period, periods=periods, today=today)
        return found, {}

    def default_start(end: date) -> date:
        return cohorts_sql.default_start(end, period, periods)

    echo = {"by": by, "period": period, "periods": periods}
    return _report(store, settings, CohortsReport, common, run, echo, default_start)
