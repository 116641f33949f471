"""Products: views, adds, buyers, units and revenue per product or category, with growth.

Sales come from the order lines of counted orders placed in the range and in the previous period
of equal length; views and adds from the range's Product Viewed / Product Added events. Each
event's properties are parsed once (unicx.profiles.orders_sql.parsed).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from unicx.profiles.orders_sql import (
    ORDER_LINES_STEP,
    order_core_steps,
    parsed,
)
from unicx.reports.models import ItemLevel
from unicx.reports.scope import Window, events_step, fetch, order_source, ratio
from unicx.store import Session

BROWSE = "type = 'track' AND event IN ('Product Viewed', 'Product Added')"
# What each view and add is parsed for: most events of a shop are views, so only the key; a
# product's name and category come from its latest event, parsed once per product.
BROWSE_FIELDS: dict[ItemLevel, tuple[str, ...]] = {
    "category": ("category",),
    "product": ("product_id", "sku"),
}
LABEL_FIELDS = ("name", "product_name", "category")


def item_key(level: ItemLevel) -> str:
    """The item a line or event is about at ``level`` (NULL: unknown, left out)."""
    return "nullif(product_id, '')" if level == "product" else "nullif(category, '')"


def _browse_columns(level: ItemLevel) -> str:
    if level == "category":
        return "NULL::VARCHAR AS product_id, f[1] AS category"
    return "coalesce(f[1], f[2]) AS product_id, NULL::VARCHAR AS category"


def sales_steps(window: Window, level: ItemLevel, *, since: str = "$start") -> str:
    """Orders from ``since`` to the end of the range, and ``sold``: the lines of the counted
    ones, keyed by item."""
    return f"""{order_source(window, since=since)},
{order_core_steps("order_ev")},
{ORDER_LINES_STEP},
sold AS (
  SELECT {item_key(level)} AS item, l.name, l.category, l.profile_id, l.order_id,
         l.quantity, l.amount, o.ordered_at
  FROM order_lines l JOIN orders o USING (profile_id, order_id)
  WHERE o.counted AND {item_key(level)} IS NOT NULL
)"""


def _labels(level: ItemLevel) -> tuple[str, str, str]:
    """Usage's label columns, the labels step and the final name/category columns: the latest
    name and category seen for a product, in its events or its order lines; a category is
    its own label."""
    if level == "category":
        return "", "", "NULL::VARCHAR AS name, item AS category"
    usage = ", arg_max(properties, timestamp) AS latest, max(timestamp) AS seen_at"
    step = f"""labels AS (
  SELECT item, arg_max(name, seen_at) FILTER (WHERE name IS NOT NULL) AS name,
         arg_max(category, seen_at) FILTER (WHERE category IS NOT NULL) AS category
  FROM (
    SELECT item, coalesce(g[1], g[2]) AS name, g[3] AS category, seen_at
    FROM (SELECT item, seen_at, {parsed("latest", LABEL_FIELDS)} AS g FROM usage)
    UNION ALL SELECT item, name, category, ordered_at FROM sold
  ) GROUP BY item
),
"""
    return usage, step, "labels.name, labels.category"


def sql(window: Window, level: ItemLevel) -> str:
    usage_labels, labels_step, label_columns = _labels(level)
    labels_join = "LEFT JOIN labels USING (item)" if labels_step else ""
    return f"""WITH {sales_steps(window, level, since="$prev_start")},
{events_step("profile_id, timestamp, event, properties", window, name="browse_ev", where=BROWSE)},
browsed AS (
  SELECT {item_key(level)} AS item, event, timestamp, properties
  FROM (
    SELECT event, timestamp, properties, {_browse_columns(level)}
    FROM (SELECT event, timestamp, properties, {parsed("properties", BROWSE_FIELDS[level])} AS f
          FROM browse_ev)
  )
  WHERE {item_key(level)} IS NOT NULL
),
usage AS (
  SELECT item, count(*) FILTER (WHERE event = 'Product Viewed') AS views,
         count(*) FILTER (WHERE event = 'Product Added') AS adds{usage_labels}
  FROM browsed GROUP BY item
),
sales AS (
  SELECT item,
         count(DISTINCT profile_id) FILTER (WHERE ordered_at >= $start) AS buyers,
         sum(quantity) FILTER (WHERE ordered_at >= $start) AS units,
         count(DISTINCT order_id) FILTER (WHERE ordered_at >= $start) AS orders,
         sum(amount) FILTER (WHERE ordered_at >= $start) AS revenue,
         sum(amount) FILTER (WHERE ordered_at < $start) AS previous_revenue
  FROM sold GROUP BY item
),
{labels_step}joined AS (
  SELECT item, coalesce(u.views, 0) AS views, coalesce(u.adds, 0) AS adds,
         coalesce(s.buyers, 0) AS buyers, coalesce(s.units, 0) AS units,
         coalesce(s.orders, 0) AS orders, round(coalesce(s.revenue, 0), 2) AS revenue,
         round(coalesce(s.previous_revenue, 0), 2) AS previous_revenue
  FROM usage u FULL JOIN sales s USING (item)
)
SELECT item, {label_columns}, views, adds, buyers, units, orders, revenue, previous_revenue,
       CASE WHEN previous_revenue > 0
            THEN {ratio("revenue - previous_revenue", "previous_revenue")} END AS growth
FROM joined {labels_join}
ORDER BY revenue DESC, views DESC, item
LIMIT $limit"""


def previous_start(window: Window) -> date:
    """First day of the previous period of equal length."""
    return window.start - (window.end - window.start)


def rows(session: Session, window: Window, *, level: ItemLevel, limit: int) -> list[dict[str, Any]]:
    params = window.params(limit=limit, prev_start=window.at(previous_start(window)))
    return fetch(session, sql(window, level), params, step="reports.products")
