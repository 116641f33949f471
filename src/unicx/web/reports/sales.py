"""Geography (country, Vietnamese province, city), products (growth against the previous period)
and cross-category affinity (a lift heatmap): options, the service each calls, the view."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from unicx.api.context import AppContext
from unicx.reports import models as m
from unicx.reports import provinces, service
from unicx.web.reports import charts
from unicx.web.reports.filters import Filter, Option
from unicx.web.reports.views import Column, Kind, Table, View, Words


def _(text: str) -> str:
    return text


LEVEL_ITEMS = Option(
    "level",
    _("Level"),
    choices=(("category", _("Category")), ("product", _("Product"))),
    default="category",
)
LIMIT = Option("limit", _("Rows"), "int", default="100", low=1, high=service.MAX_ROWS)

# -- geography ---------------------------------------------------------------------------------

GEO_OPTIONS = (
    Option(
        "level",
        _("Level"),
        choices=(("country", _("Country")), ("province", _("Province")), ("city", _("City"))),
        default="country",
    ),
    LIMIT,
)


def run_geography(ctx: AppContext, f: Filter) -> m.Report:
    level, limit = f.options["level"], f.options["limit"]
    if level == "province":
        return provinces.provinces(ctx.store, ctx.settings, limit=limit, **f.common())
    return service.geography(ctx.store, ctx.settings, level=level, limit=limit, **f.common())


GEO_FIELDS = (
    "active_users",
    "buyers",
    "orders",
    "revenue",
    "revenue_per_user",
    "average_order_value",
    "conversion",
)


def _place(row: Any, level: str, w: Words) -> str:
    if level == "province" and row.province is not None:
        return str(row.province)
    if level == "city" and row.city is not None:
        return f"{row.city}, {w.country(row.country)}"
    return w.country(row.country)


def draw_geography(report: m.GeographyReport | provinces.ProvincesReport, w: Words) -> View:
    _, level = w._, report.params.level
    places = [_place(r, level, w) for r in report.rows]
    head = {"country": _("Country"), "province": _("Province or country"), "city": _("City")}
    columns = [
        Column(head[level]),
        Column(_("Active users (people)"), "count"),
        Column(_("Buyers (people)"), "count"),
        Column(_("Orders"), "count"),
        Column(_("Revenue"), "money"),
        Column(_("Revenue per active user"), "money"),
        Column(_("Average order value"), "money"),
        Column(_("Conversion (buyers / active users)"), "percent"),
    ]
    rows = [
        [p, *(getattr(r, f) for f in GEO_FIELDS)] for p, r in zip(places, report.rows, strict=True)
    ]
    period = w.period(report.params.from_, report.params.to)
    top = places[: charts.MAX_BARS][::-1]
    revenue = [r.revenue for r in report.rows[: charts.MAX_BARS]][::-1]
    fig = charts.figure(
        [charts.bar(_("Revenue"), "revenue", revenue, top, orientation="h")],
        title=w.dot(_("Revenue by place"), period),
        x=w.paren(_("Revenue"), w.money_unit),
        y=head[level],
        lang=w.lang,
        height=max(320, 60 + 26 * len(top)),
        xaxis={"tickformat": charts.MONEY_TICKS},
    )
    caption = _("Per place, each active person counted once (their latest place)")
    return View(Table(f"{caption} · {period}", columns, rows), fig)


GEOGRAPHY = Kind(
    "geography",
    _("Geography"),
    _("Active users, buyers and revenue per country, Vietnamese province or city."),
    GEO_OPTIONS,
    run_geography,
    draw_geography,
)

# -- products ----------------------------------------------------------------------------------


def run_products(ctx: AppContext, f: Filter) -> m.Report:
    o = f.options
    return service.products(
        ctx.store, ctx.settings, level=o["level"], limit=o["limit"], **f.common()
    )


PRODUCT_FIELDS = (
    "views",
    "adds",
    "buyers",
    "units",
    "orders",
    "revenue",
    "previous_revenue",
    "growth",
)


def draw_products(report: m.ProductsReport, w: Words) -> View:
    _, p, by_product = w._, report.params, report.params.level == "product"
    now, before = w.period(p.from_, p.to), w.period(p.previous_from, p.from_)
    label = [r.name or r.item for r in report.rows]
    columns = [
        Column(_("Product") if by_product else _("Category")),
        *([Column(_("Category"))] if by_product else []),
        Column(_("Views"), "count"),
        Column(_("Added to cart"), "count"),
        Column(_("Buyers (people)"), "count"),
        Column(_("Units"), "quantity"),
        Column(_("Orders"), "count"),
        Column(_("Revenue"), "money"),
        Column(_("Previous period revenue"), "money"),
        Column(_("Growth"), "growth"),
    ]
    rows = [
        [n, *([r.category] if by_product else []), *(getattr(r, f) for f in PRODUCT_FIELDS)]
        for n, r in zip(label, report.rows, strict=True)
    ]
    # Horizontal bars, largest on top: product names are long.
    top, names = report.rows[: charts.MAX_BARS][::-1], label[: charts.MAX_BARS][::-1]
    this = w.paren(_("This period"), now)
    previous = w.paren(_("Previous period"), before)
    fig = charts.figure(
        [
            charts.bar(this, "revenue", [r.revenue for r in top], names, orientation="h"),
            charts.bar(
                previous,
                "previous_revenue",
                [r.previous_revenue for r in top],
                names,
                orientation="h",
            ),
        ],
        title=w.dot(_("Revenue against the previous period"), now),
        x=w.paren(_("Revenue"), w.money_unit),
        y=_("Product") if by_product else _("Category"),
        lang=w.lang,
        barmode="group",
        height=max(340, 110 + 38 * len(top)),
        xaxis={"tickformat": charts.MONEY_TICKS},
    )
    caption = _("Growth: revenue against the previous period of equal length")
    return View(Table(f"{caption} ({before}) · {now}", columns, rows), fig)


PRODUCTS = Kind(
    "products",
    _("Products"),
    _("Views, carts, buyers and revenue per category or product, with growth."),
    (LEVEL_ITEMS, LIMIT),
    run_products,
    draw_products,
)

# -- affinity ----------------------------------------------------------------------------------

AFFINITY_OPTIONS = (
    LEVEL_ITEMS,
    Option("min_count", _("Least buyers of both"), "int", default="2", low=1, high=1_000_000),
    Option(
        "min_support", _("Least share of buyers (0 to 1)"), "float", default="0.01", low=0, high=1
    ),
    Option("item", _("Only pairs from (item)"), "text"),
    Option("limit", _("Pairs"), "int", default="50", low=1, high=service.MAX_PAIRS),
)


def run_affinity(ctx: AppContext, f: Filter) -> m.Report:
    return service.affinity(ctx.store, ctx.settings, **f.options, **f.common())


def _lift_matrix(rows: list[m.AffinityRow]) -> tuple[list[str], list[list[float | None]]]:
    """Items (by first appearance, at most MAX_BARS) and lift[a][b] (None: no such pair)."""
    names: dict[str, str] = {}
    for r in rows:
        names.setdefault(r.item_a, r.name_a or r.item_a)
        names.setdefault(r.item_b, r.name_b or r.item_b)
    items = list(names)[: charts.MAX_BARS]
    lift = {(r.item_a, r.item_b): r.lift for r in rows}
    return [names[i] for i in items], [[lift.get((a, b)) for b in items] for a in items]


def draw_affinity(report: m.AffinityReport, w: Words) -> View:
    _, p = w._, report.params
    period = w.period(p.from_, p.to)
    columns = [
        Column(_("Bought (A)")),
        Column(_("Also bought (B)")),
        Column(_("Buyers of A (people)"), "count"),
        Column(_("Buyers of B (people)"), "count"),
        Column(_("Buyers of both (people)"), "count"),
        Column(_("Support"), "percent"),
        Column(_("Confidence (B given A)"), "percent"),
        Column(_("Lift (\u00d7)"), "decimal"),
    ]
    rows = [
        [
            r.name_a or r.item_a,
            r.name_b or r.item_b,
            r.buyers_a,
            r.buyers_b,
            r.buyers_both,
            r.support,
            r.confidence,
            r.lift,
        ]
        for r in report.rows
    ]
    labels, z = _lift_matrix(report.rows)
    heat = go.Heatmap(
        x=labels,
        y=labels,
        z=z,
        zmid=1,
        colorscale=charts.DIVERGING,
        hoverongaps=False,
        colorbar={"title": {"text": _("Lift (\u00d7)")}},
        name=_("Lift"),
    )
    fig = charts.figure(
        [heat],
        title=w.dot(_("Lift of buying B among buyers of A"), period),
        x=_("Also bought (B)"),
        y=_("Bought (A)"),
        lang=w.lang,
        height=max(360, 120 + 28 * len(labels)),
        yaxis={"autorange": "reversed"},
        plot_bgcolor=charts.NO_PAIR,
    )
    buyers = [(_("Buyers in the period (people)"), w.fmt.number(p.buyers))]
    caption = _("Lift above 1: buyers of A buy B more often than the average buyer")
    return View(Table(f"{caption} · {period}", columns, rows), fig, buyers)


AFFINITY = Kind(
    "affinity",
    _("Affinity"),
    _("Which categories or products the same people buy together (lift)."),
    AFFINITY_OPTIONS,
    run_affinity,
    draw_affinity,
)
