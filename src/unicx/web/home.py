"""Home: the workspace at a glance: KPIs over the last 30 days with their daily sparklines and
the change against the 30 days before (unicx.overview, cached for a minute), each model's
status, and the realtime pipeline's health. KPIs need reports:read; everyone sees the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from unicx import overview as service
from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.reports.overview import KpiSeries
from unicx.runtime.worker import StageStatus
from unicx.web.deps import page_for
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Anyone = Annotated[WebUser, Depends(page_for(Permission.sources_read))]
WIDTH, HEIGHT, PAD = 100.0, 30.0, 2.0


def _(text: str) -> str:
    """Marks a label for extraction; the template translates it."""
    return text


MODEL_LABELS = {
    "clv": _("Customer lifetime value (CLV)"),
    "churn": _("Churn risk"),
    "recommend": _("Recommendations"),
}
MODEL_STATUS = {
    "active": (_("in use"), "ok"),
    "superseded": (_("superseded"), ""),
    "rejected": (_("rejected"), "bad"),
    "never_trained": (_("never trained"), "warn"),
}


def sparkline(values: list[float | None]) -> list[str]:
    """SVG polyline ``points`` in a WIDTH x HEIGHT box, one line per run of known values (a day
    without a value, such as a ratio over no one, breaks the line)."""
    known = [v for v in values if v is not None]
    if len(values) < 2 or not known:
        return []
    low, high = min(known), max(known)
    step = WIDTH / (len(values) - 1)

    def y(v: float) -> float:
        if high == low:
            return HEIGHT / 2
        return HEIGHT - PAD - (v - low) / (high - low) * (HEIGHT - 2 * PAD)

    lines: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            lines.append([])
        else:
            lines[-1].append(f"{i * step:.1f},{y(v):.1f}")
    return [" ".join(line) for line in lines if len(line) > 1]


@dataclass(frozen=True)
class Card:
    """One KPI: its figure over the 30 days, the change, the daily line."""

    key: str
    label: str  # message id
    kind: str  # number | money | percent
    value: float | None
    change: float | None = None  # relative; for percent kinds, the difference in points
    up_is_good: bool = True
    points: list[str] = field(default_factory=list)
    note: str | None = None  # message id with %(n)s
    note_value: float | None = None

    @property
    def tone(self) -> str:
        if not self.change:
            return ""
        return "up" if (self.change > 0) == self.up_is_good else "down"


def card(
    key: str, label: str, kind: str, kpi: KpiSeries, *, up_is_good: bool = True,
    note: str | None = None, note_value: float | None = None,
) -> Card:  # fmt: skip
    change = kpi.change
    if kind == "percent":  # a share moves in points: 2.1% from 1.9% is +0.2 points
        none = kpi.total is None or kpi.previous is None
        change = None if none else (kpi.total or 0) - (kpi.previous or 0)
    points = sparkline([d.value for d in kpi.series])
    return Card(key, label, kind, kpi.total, change, up_is_good, points, note, note_value)


def cards(ov: service.Overview) -> list[Card]:
    a, m, j = ov.activity, ov.messages, ov.journeys
    return [
        card("events", _("Events"), "number", a.events),
        card("profiles", _("Profiles"), "number", a.profiles_total,
             note=_("%(n)s new in 30 days"), note_value=a.new_profiles.total),
        card("identified", _("Identified share"), "percent", a.identified_share),
        card("revenue", _("Revenue"), "money", a.revenue),
        card("orders", _("Orders"), "number", a.orders),
        card("conversion", _("Conversion"), "percent", a.conversion),
        Card("journeys", _("Active journeys"), "number", float(j.active),
             note=_("%(n)s people in progress"), note_value=float(j.people_in_progress)),
        card("sent", _("Messages sent"), "number", m.sent),
        card("suppressed", _("Messages suppressed"), "number", m.suppressed, up_is_good=False,
             note=_("%(n)s failed"), note_value=m.failed.total),
    ]  # fmt: skip


def daily_rows(ov: service.Overview) -> list[dict[str, object]]:
    """The table the sparklines are drawn from: one row per day."""
    a, m = ov.activity, ov.messages
    columns = {"events": a.events, "profiles": a.profiles_total,
               "identified": a.identified_share, "revenue": a.revenue, "orders": a.orders,
               "conversion": a.conversion, "sent": m.sent, "suppressed": m.suppressed}  # fmt: skip
    rows: list[dict[str, object]] = []
    for i, day in enumerate(d.day for d in a.events.series):
        rows.append({"day": day, **{k: s.series[i].value for k, s in columns.items()}})
    return rows[::-1]  # newest first


@dataclass(frozen=True)
class StageRow:
    """A runtime stage with what its badges say."""

    stage: StageStatus
    lag_tone: str  # ok | warn | bad | "" (no figure)
    failing: bool  # the last step failed (not yet recovered)
    last_error_at: datetime | None


def _at(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def lag_tone(stage: StageStatus) -> str:
    """Behind by a few of its own intervals is normal; far more is worth a look."""
    if stage.lag_s is None:
        return ""
    usual = max(30.0, 3 * (stage.interval_s or 0))
    if stage.lag_s <= usual:
        return "ok"
    return "warn" if stage.lag_s <= max(120.0, 10 * usual) else "bad"


def stage_rows(stages: list[StageStatus]) -> list[StageRow]:
    return [
        StageRow(s, lag_tone(s), s.last_error_at is not None
                 and s.last_error_at >= (s.last_ok_at or 0), _at(s.last_error_at))
        for s in stages
    ]  # fmt: skip


@router.get("/home")
async def home(request: Request, ctx: Ctx, user: Anyone) -> Response:
    stages = stage_rows(ctx.runtime.status())
    if not user.can(Permission.reports_read):  # a viewer sees the pipeline only
        return render(request, "home.html", user=user, stages=stages, ov=None)
    ov = await run_in_threadpool(service.overview, ctx.store, ctx.settings)
    return render(request, "home.html", user=user, stages=stages, ov=ov, cards=cards(ov),
                  daily=daily_rows(ov), last_day=ov.end - timedelta(days=1),
                  model_labels=MODEL_LABELS, model_status=MODEL_STATUS)  # fmt: skip
