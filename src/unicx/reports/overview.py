"""The home page's activity figures: daily series over the last 30 local days and totals
against the 30 days before, for events, active people, orders, revenue, conversion and
profiles (new, total, identified share).

Cheap by construction: one pass over the range's events (per-day and per-period counts
together, with GROUPING SETS), one over its order events (the orders steps the traits and the
other reports use, so revenue adds up the same way), and one over profiles and identifiers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from unicx.config import Settings
from unicx.profiles.orders_sql import order_core_steps
from unicx.reports.scope import Window, events_step, fetch, local_today, order_source
from unicx.store import Session, Store

DAYS = 30


class DayValue(BaseModel):
    day: date = Field(description="Local day in the workspace time zone.")
    value: float | None = Field(description="Null when undefined (a ratio over no one).")


class KpiSeries(BaseModel):
    """One figure over the last 30 days, the 30 before, and per day."""

    total: float | None = Field(
        description="Over the 30 days (sum or distinct count), or at their end for a level "
        "(profiles total, identified share)."
    )
    previous: float | None = Field(description="The same over the 30 days before.")
    change: float | None = Field(
        description="Relative change against previous ((total - previous) / previous); null "
        "when previous is 0 or null."
    )
    series: list[DayValue] = Field(description="One value per day, oldest first.")


class ActivityKpis(BaseModel):
    start: date = Field(description="First local day of the 30 days.")
    end: date = Field(description="Local day after them (exclusive): tomorrow.")
    previous_start: date = Field(description="First day of the 30 days compared against.")
    timezone: str
    currency: str
    events: KpiSeries
    active_people: KpiSeries = Field(description="Profiles with an event (distinct).")
    orders: KpiSeries
    revenue: KpiSeries = Field(description="Net of refunds, in the workspace currency.")
    buyers: KpiSeries = Field(description="Profiles with a counted order (distinct).")
    conversion: KpiSeries = Field(description="buyers / active_people.")
    new_profiles: KpiSeries
    profiles_total: KpiSeries = Field(description="Profiles existing at the end of each day.")
    identified_share: KpiSeries = Field(
        description="Share of profiles with a user_id or an e-mail, at the end of each day."
    )


def window_for(settings: Settings, now: datetime | None = None) -> tuple[Window, date]:
    """The last 30 local days (today included) and the first day of the 30 before."""
    today = local_today(settings, now)
    start = today - timedelta(days=DAYS - 1)
    window = Window(start=start, end=today + timedelta(days=1), segment_id=None, settings=settings)
    return window, start - timedelta(days=DAYS)


_DAY = "CAST(timezone($tz, {}) AS DATE)"
# Per day (period NULL) and per period (day NULL: 1 the 30 days, 0 the 30 before).
_SETS = "GROUP BY GROUPING SETS ((day), (period))"


def activity_sql(window: Window) -> str:
    """Events and active people per day and per period (parameters $previous, $start, $end)."""
    ev = events_step("profile_id, timestamp", window, since="$previous")
    return f"""WITH {ev}
SELECT {_DAY.format("timestamp")} AS day, timestamp >= $start AS period,
       count(*) AS events, count(DISTINCT profile_id) AS active_people
FROM ev
{_SETS}"""


def orders_sql(window: Window) -> str:
    """Orders, revenue and buyers per day and per period, as the traits count them."""
    return f"""WITH {order_source(window, since="$previous")},
{order_core_steps("order_ev")}
SELECT {_DAY.format("ordered_at")} AS day, ordered_at >= $start AS period,
       count(*) FILTER (WHERE counted) AS orders, coalesce(sum(net), 0) AS revenue,
       count(DISTINCT profile_id) FILTER (WHERE counted) AS buyers
FROM orders
WHERE ordered_at >= $previous AND ordered_at < $end
{_SETS}"""


# New and newly identified profiles per day; day NULL: everything before the 60 days.
PROFILES_SQL = f"""WITH identified AS (
  SELECT profile_id, min(first_seen) AS since
  FROM identities WHERE id_type IN ('user_id', 'email')
  GROUP BY profile_id
),
marks AS (
  SELECT created_at AS happened, 1 AS new_profiles, 0 AS identified FROM profiles
  UNION ALL
  SELECT i.since, 0, 1 FROM identified i JOIN profiles p USING (profile_id)
)
SELECT CASE WHEN happened >= $previous THEN {_DAY.format("happened")} END AS day,
       sum(new_profiles) AS new_profiles, sum(identified) AS identified
FROM marks
WHERE happened < $end
GROUP BY ALL"""


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


def change(total: float | None, previous: float | None) -> float | None:
    if total is None or not previous:
        return None
    return (total - previous) / previous


def kpi(total: float | None, previous: float | None, series: list[DayValue]) -> KpiSeries:
    return KpiSeries(total=total, previous=previous, change=change(total, previous), series=series)


def summed(rows: Iterable[dict[str, Any]], column: str, days: list[date]) -> KpiSeries:
    """A count or amount from GROUPING SETS rows: per day, and per period."""
    rows = list(rows)
    per_day = {r["day"]: r[column] for r in rows if r["day"] is not None}
    periods = {r["period"]: r[column] for r in rows if r["day"] is None}
    series = [DayValue(day=d, value=float(per_day.get(d) or 0)) for d in days]
    return kpi(float(periods.get(True) or 0), float(periods.get(False) or 0), series)


def ratio(top: KpiSeries, bottom: KpiSeries) -> KpiSeries:
    def div(a: float | None, b: float | None) -> float | None:
        return None if a is None or not b else a / b

    series = [
        DayValue(day=t.day, value=div(t.value, b.value))
        for t, b in zip(top.series, bottom.series, strict=True)
    ]
    return kpi(div(top.total, bottom.total), div(top.previous, bottom.previous), series)


def _levels(rows: list[dict[str, Any]], days: list[date]) -> tuple[KpiSeries, ...]:
    """New profiles (a sum), total profiles and identified share (levels at each day's end)
    over ``days`` (the 60: the 30 before, then the 30)."""
    per_day = {r["day"]: r for r in rows if r["day"] is not None}
    base = next((r for r in rows if r["day"] is None), {"new_profiles": 0, "identified": 0})
    total, known = int(base["new_profiles"] or 0), int(base["identified"] or 0)
    new, level, share = [], [], []
    for d in days:
        row = per_day.get(d, {})
        total += int(row.get("new_profiles") or 0)
        known += int(row.get("identified") or 0)
        new.append(DayValue(day=d, value=float(row.get("new_profiles") or 0)))
        level.append(DayValue(day=d, value=float(total)))
        share.append(DayValue(day=d, value=known / total if total else None))
    half = len(days) // 2

    def split(values: list[DayValue], *, add: bool) -> KpiSeries:
        before, now = values[:half], values[half:]
        if add:
            return kpi(sum(v.value or 0 for v in now), sum(v.value or 0 for v in before), now)
        return kpi(now[-1].value, before[-1].value, now)

    return split(new, add=True), split(level, add=False), split(share, add=False)


def activity(store: Store, settings: Settings, *, now: datetime | None = None) -> ActivityKpis:
    """The activity figures of the home page (see the module docstring)."""
    window, previous = window_for(settings, now)
    params = window.params(previous=window.at(previous))
    days = _days(window.start, DAYS)
    with store.session() as s:
        acts = fetch(s, activity_sql(window), params, step="reports.overview_activity")
        orders = fetch(s, orders_sql(window), params, step="reports.overview_orders")
        people = _profiles(s, params)
    active, buyers = summed(acts, "active_people", days), summed(orders, "buyers", days)
    new, total, share = _levels(people, _days(previous, 2 * DAYS))
    return ActivityKpis(
        start=window.start,
        end=window.end,
        previous_start=previous,
        timezone=settings.timezone,
        currency=settings.currency,
        events=summed(acts, "events", days),
        active_people=active,
        orders=summed(orders, "orders", days),
        revenue=summed(orders, "revenue", days),
        buyers=buyers,
        conversion=ratio(buyers, active),
        new_profiles=new,
        profiles_total=total,
        identified_share=share,
    )


def _profiles(s: Session, params: dict[str, Any]) -> list[dict[str, Any]]:
    return fetch(s, PROFILES_SQL, params, step="reports.overview_profiles")
