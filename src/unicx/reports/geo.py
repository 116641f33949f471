"""Geography: active users, buyers and revenue per country (or country and city).

Each active person counts in one place, the country/city of their latest event in the range that
has one (people without any are the row with a null country), so rows add up to the totals.
"""

from __future__ import annotations

from typing import Any

from unicx.profiles.orders_sql import order_core_steps
from unicx.reports.models import GeoLevel
from unicx.reports.scope import Window, events_step, fetch, order_source, ratio
from unicx.store import Session


def _place(level: GeoLevel) -> str:
    """The person's latest known place (a struct only when the city is wanted: it costs)."""
    latest = "arg_max({}, timestamp) FILTER (WHERE country IS NOT NULL)"
    if level == "country":
        return f"{latest.format('country')} AS country, NULL::VARCHAR AS city"
    place = latest.format("{'country': country, 'city': city}")
    return f"{place}.country AS country, {place}.city AS city"


def sql(window: Window, level: GeoLevel) -> str:
    return f"""WITH {events_step("profile_id, timestamp, country, city", window)},
{order_source(window)},
{order_core_steps("order_ev")},
spend AS (
  SELECT profile_id, count(*) FILTER (WHERE counted) AS orders, sum(net) AS revenue
  FROM orders GROUP BY profile_id
),
people AS (SELECT profile_id, {_place(level)} FROM ev GROUP BY profile_id),
places AS (
  SELECT p.country, p.city, count(*) AS active_users,
         count(*) FILTER (WHERE s.orders > 0) AS buyers,
         coalesce(sum(s.orders), 0) AS orders, coalesce(sum(s.revenue), 0) AS revenue
  FROM people p LEFT JOIN spend s USING (profile_id)
  GROUP BY p.country, p.city
)
SELECT country, city, active_users, buyers, orders, round(revenue, 2) AS revenue,
       round({ratio("revenue", "active_users")}, 2) AS revenue_per_user,
       round({ratio("revenue", "buyers")}, 2) AS revenue_per_buyer,
       round({ratio("revenue", "orders")}, 2) AS average_order_value,
       {ratio("buyers", "active_users")} AS conversion
FROM places
ORDER BY revenue DESC, active_users DESC, country NULLS LAST, city NULLS LAST
LIMIT $limit"""


def rows(session: Session, window: Window, *, level: GeoLevel, limit: int) -> list[dict[str, Any]]:
    return fetch(session, sql(window, level), window.params(limit=limit), step="reports.geo")
