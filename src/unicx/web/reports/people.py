"""Lifecycle funnel (per channel or UTM), cohort retention (a heatmap) and recommendation
performance per placement: options, the service each calls, the view."""

from __future__ import annotations

import plotly.graph_objects as go

from unicx.api.context import AppContext
from unicx.recommend.models import PlacementRow
from unicx.recommend.report import placement_report
from unicx.reports import models as m
from unicx.reports import service
from unicx.reports.scope import resolve_window
from unicx.web.reports import charts
from unicx.web.reports.filters import Filter, Option
from unicx.web.reports.views import Column, Kind, Table, View, Words


def _(text: str) -> str:
    return text


# The default stages' names (unicx.reports.funnel.DEFAULT), for the catalogs; a workspace's
# funnel.yaml names its own and they show as written.
STAGES = (_("awareness"), _("interest"), _("intent"), _("purchase"), _("retention"))

# -- funnel ------------------------------------------------------------------------------------

FUNNEL_BY = Option(
    "by",
    _("Break down by first touch"),
    choices=(
        ("none", _("No breakdown")),
        ("channel", _("Channel")),
        ("utm_source", _("UTM source")),
        ("utm_medium", _("UTM medium")),
        ("utm_campaign", _("UTM campaign")),
    ),
    default="none",
)


def run_funnel(ctx: AppContext, f: Filter) -> m.Report:
    return service.funnel(ctx.store, ctx.settings, by=f.options["by"], **f.common())


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def draw_funnel(report: m.FunnelReport, w: Words) -> View:
    _, p = w._, report.params
    period = w.period(p.from_, p.to)
    whole = _("Everyone") if p.by == "none" else _("(none)")
    columns = [
        Column(_("First touch")),
        Column(_("Stage")),
        Column(_("People"), "count"),
        Column(_("Conversion from previous stage"), "percent"),
        Column(_("Conversion from first stage"), "percent"),
        Column(_("Dropped off (people)"), "count"),
        Column(_("Median time from previous stage (hours)"), "decimal"),
    ]
    rows = [
        [
            r.group or whole,
            _(r.stage),
            r.people,
            r.conversion_from_previous,
            r.conversion_from_first,
            r.drop_off,
            _hours(r.median_seconds_from_previous),
        ]
        for r in report.rows
    ]
    groups: dict[str, list[m.FunnelRow]] = {}
    for r in report.rows:
        groups.setdefault(r.group or whole, []).append(r)
    traces = [
        go.Bar(
            name=name,
            x=[_(r.stage) for r in rs],
            y=[r.people for r in rs],
            marker={"color": charts.color("", i)},
        )
        for i, (name, rs) in enumerate(list(groups.items())[: len(charts.PALETTE)])
    ]
    fig = charts.figure(
        traces,
        title=w.dot(_("People reaching each stage"), period),
        x=_("Stage"),
        y=_("People"),
        lang=w.lang,
        barmode="group",
        legend_title_text=_("First touch"),
    )
    caption = _("People reaching each lifecycle stage in order")
    return View(Table(f"{caption} · {period}", columns, rows), fig)


FUNNEL = Kind(
    "funnel",
    _("Lifecycle funnel"),
    _("People per stage from first visit to repeat purchase, by channel or UTM."),
    (FUNNEL_BY,),
    run_funnel,
    draw_funnel,
)

# -- cohorts -----------------------------------------------------------------------------------

COHORT_OPTIONS = (
    Option(
        "by",
        _("Cohort by"),
        choices=(("first_purchase", _("First purchase")), ("first_seen", _("First visit"))),
        default="first_purchase",
    ),
    Option(
        "period", _("Period"), choices=(("month", _("Month")), ("week", _("Week"))), default="month"
    ),
    Option("periods", _("Periods"), "int", default="6", low=1, high=service.MAX_PERIODS),
)


def run_cohorts(ctx: AppContext, f: Filter) -> m.Report:
    return service.cohorts(ctx.store, ctx.settings, **f.options, **f.common())


def draw_cohorts(report: m.CohortsReport, w: Words) -> View:
    _, p = w._, report.params
    period = w.period(p.from_, p.to)
    unit = _("Month") if p.period == "month" else _("Week")
    steps = [f"{unit} {i}" for i in range(p.periods)]
    columns = [
        Column(_("Cohort (first day)"), "date"),
        Column(_("People"), "count"),
        *(Column(f"{s} (%)", "percent") for s in steps),
    ]
    rows = [[r.cohort, r.size, *r.retention] for r in report.rows]
    labels = [w.fmt.date(r.cohort) for r in report.rows]
    heat = go.Heatmap(
        x=steps,
        y=labels,
        z=[r.retention for r in report.rows],
        zmin=0,
        zmax=1,
        colorscale=charts.SEQUENTIAL,
        hoverongaps=False,
        texttemplate="%{z:.0%}",
        colorbar={"title": {"text": _("Retention")}, "tickformat": ".0%"},
        name=_("Retention"),
    )
    fig = charts.figure(
        [heat],
        title=w.dot(_("Retention by cohort"), period),
        x=_("Periods since the cohort's first"),
        y=_("Cohort"),
        lang=w.lang,
        height=max(320, 120 + 30 * len(labels)),
        yaxis={"autorange": "reversed", "type": "category"},
    )
    active = _("Active: a repeat order") if p.by == "first_purchase" else _("Active: any event")
    caption = w.paren(_("Share of each cohort active in each later period"), active)
    return View(Table(f"{caption} · {period}", columns, rows), fig)


COHORTS = Kind(
    "cohorts",
    _("Cohort retention"),
    _("Share of customers coming back, per week or month of their first purchase or visit."),
    COHORT_OPTIONS,
    run_cohorts,
    draw_cohorts,
)

# -- recommendations ---------------------------------------------------------------------------


class PlacementsReport(m.Report):
    """The placement report (unicx.recommend.report) in the reports' shape, for its CSV."""

    params: m.ReportParams
    rows: list[PlacementRow]
    attribution_days: int

    @classmethod
    def kind(cls) -> str:
        return "recommendations"


def run_recommendations(ctx: AppContext, f: Filter) -> m.Report:
    with ctx.store.session() as s:
        window = resolve_window(s, ctx.settings, start=f.common()["start"], end=f.common()["end"])
    if ctx.recommender is not None:
        ctx.recommender.log.flush()  # answers still in the buffer count
    start, end = window.at(window.start), window.at(window.end)
    rows = placement_report(ctx.store, ctx.settings, start=start, end=end)
    params = m.ReportParams.model_validate(window.echo())
    days = ctx.settings.recommend_attribution_days
    return PlacementsReport(params=params, rows=rows, attribution_days=days)


def draw_recommendations(report: PlacementsReport, w: Words) -> View:
    _, p = w._, report.params
    period = w.period(p.from_, p.to)
    columns = [
        Column(_("Placement")),
        Column(_("Answers served"), "count"),
        Column(_("Clicks"), "count"),
        Column(_("Click-through rate"), "percent"),
        Column(_("Attributed orders"), "count"),
        Column(_("Attributed revenue"), "money"),
    ]
    rows = [
        [r.placement, r.served, r.clicks, r.click_through_rate, r.orders, r.revenue]
        for r in report.rows
    ]
    names = [r.placement for r in report.rows]
    fig = charts.figure(
        [
            charts.bar(_("Answers served"), "served", names, [r.served for r in report.rows]),
            charts.bar(_("Clicks"), "clicks", names, [r.clicks for r in report.rows]),
        ],
        title=w.dot(_("Recommendations served and clicked per placement"), period),
        x=_("Placement"),
        y=_("Count"),
        lang=w.lang,
        barmode="group",
    )
    caption = _("Orders and revenue attributed to a click within the attribution window")
    days = [(_("Attribution window (days after a click)"), w.fmt.number(report.attribution_days))]
    return View(Table(f"{caption} · {period}", columns, rows), fig, days)


RECOMMENDATIONS = Kind(
    "recommendations",
    _("Recommendation performance"),
    _("Recommendations served, clicked, and the orders and revenue they brought, per placement."),
    (),
    run_recommendations,
    draw_recommendations,
    segments=False,
    empty=_(
        "No recommendations were served in this period. They count here once your site or app "
        "asks for them (GET /v1/profiles/{id}/recommendations with a placement) and sends "
        "Product Clicked with the recommendation_id."
    ),
)
