"""Cohort retention: people grouped by the week or month of their first purchase (or first
event), and the share of each cohort active in each later period.

A person's "first" is over all their history, so a cohort holds only people new in it; the
range picks which cohorts (those whose first falls in ``[from, to)``). Active means a counted
order for first-purchase cohorts (repeat purchase) and any event for first-seen cohorts.
Periods are local calendar weeks (Monday first) or months; period 0 is the cohort's own, and a
period that has not started yet is null.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from unicx.profiles.orders_sql import order_core_steps
from unicx.reports.models import CohortBy, Period
from unicx.reports.scope import Window, events_step, fetch, order_source
from unicx.store import Session


def period_start(day: date, period: Period) -> date:
    return day - timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)


def add_periods(start: date, period: Period, n: int) -> date:
    """The period ``n`` after the one starting on ``start`` (a period start)."""
    if period == "week":
        return start + timedelta(weeks=n)
    months = start.year * 12 + start.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


def default_start(end: date, period: Period, periods: int) -> date:
    """The default range: the last ``periods`` periods before ``end``."""
    return add_periods(period_start(end - timedelta(days=1), period), period, 1 - periods)


def _acts(window: Window, by: CohortBy) -> str:
    """``acts``: (profile_id, ts) of what makes a person a member and active, over all the
    history before the horizon (a person's first is over all of it)."""
    if by == "first_purchase":
        return f"""{order_source(window, since=None, until="$horizon")},
{order_core_steps("order_ev")},
acts AS (SELECT profile_id, ordered_at AS ts FROM orders WHERE counted)"""
    events = events_step("profile_id, timestamp", window, since=None, until="$horizon")
    return f"{events},\nacts AS (SELECT profile_id, timestamp AS ts FROM ev)"


def _local(column: str, fixed: bool) -> str:
    """``column``'s local wall-clock time. With a fixed offset, epoch arithmetic: ten times
    cheaper than the time zone conversion, which is the price of a zone with DST."""
    if fixed:
        return f"make_timestamp(epoch_us({column}) + $offset_us)"
    return f"timezone($tz, {column})"


def sql(window: Window, by: CohortBy, period: Period, periods: int, *, fixed: bool) -> str:
    def bucket(column: str) -> str:
        return f"CAST(date_trunc('{period}', {_local(column, fixed)}) AS DATE)"

    # Activity as a bit per period: one row per person, not one per person and period.
    active = ", ".join(
        f"CASE WHEN c + INTERVAL {k} {period} > $today THEN NULL"
        f" ELSE count(*) FILTER (WHERE mask & {1 << k} <> 0) END"
        for k in range(periods)
    )
    return f"""WITH {_acts(window, by)},
firsts AS (
  SELECT profile_id, min(ts) AS first_ts FROM acts GROUP BY profile_id
  HAVING min(ts) >= $start AND min(ts) < $end
),
cohort AS (SELECT profile_id, {bucket("first_ts")} AS c FROM firsts),
masks AS (
  SELECT p.profile_id, p.c, bit_or(CASE WHEN p.k < $periods THEN 1::BIGINT << p.k END) AS mask
  FROM (
    SELECT a.profile_id, c.c, date_diff('{period}', c.c, {bucket("a.ts")}) AS k
    FROM acts a JOIN cohort c USING (profile_id)
    WHERE a.ts >= $start
  ) p
  GROUP BY p.profile_id, p.c
),
lists AS (SELECT c, count(*) AS size, [{active}] AS active FROM masks GROUP BY c)
SELECT c AS cohort, size, active, [CAST(x AS DOUBLE) / size FOR x IN active] AS retention
FROM lists ORDER BY cohort"""


def rows(
    session: Session, window: Window, *, by: CohortBy, period: Period, periods: int, today: date
) -> list[dict[str, Any]]:
    last = period_start(window.end - timedelta(days=1), period)
    horizon = add_periods(last, period, periods)
    offset = window.fixed_offset_us(period_start(window.start, period), horizon)
    query = sql(window, by, period, periods, fixed=offset is not None)
    params = window.params(
        horizon=window.at(horizon), periods=periods, today=today, offset_us=offset
    )
    return fetch(session, query, params, step="reports.cohorts")
