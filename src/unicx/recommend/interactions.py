"""The workspace's interactions for the recommenders, from events, in one SQL statement.

``Product Viewed`` is a view and ``Product Added`` an add to cart (the product is
``properties.product_id``, else ``sku``); purchases are the lines of counted orders, tracked
(``products[]``) or imported (one event per line), as the traits and reports read them
(unicx.profiles.orders_sql). Lines with a missing, NaN, zero or negative quantity or price are
left out and counted, so a training run can say how many it excluded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa

from unicx.config import Settings
from unicx.profiles.orders_sql import ORDER_LINES_STEP, order_core_steps
from unicx.store import Session

INTERACTIONS_SQL = f"""
WITH scoped AS (
  SELECT profile_id, message_id, timestamp, type, event, properties
  FROM event_profiles
  WHERE profile_id IS NOT NULL AND type = 'track' AND timestamp > $since
    AND timestamp <= $until
    AND event IN ('Product Viewed', 'Product Added', 'Order Completed', 'Order Refunded')
),
{order_core_steps("scoped")},
{ORDER_LINES_STEP},
lines AS (
  SELECT l.profile_id, l.product_id AS item_id, 'purchase' AS kind, o.ordered_at AS ts,
         l.quantity, l.amount, l.category
  FROM order_lines l JOIN orders o USING (profile_id, order_id)
  WHERE o.counted AND l.product_id IS NOT NULL
),
browsing AS (
  SELECT profile_id,
         coalesce(properties->>'$.product_id', properties->>'$.sku') AS item_id,
         CASE event WHEN 'Product Viewed' THEN 'view' ELSE 'add' END AS kind,
         timestamp AS ts, 1.0 AS quantity, properties->>'$.category' AS category
  FROM scoped WHERE event IN ('Product Viewed', 'Product Added')
)
SELECT profile_id, item_id, kind, ts, quantity, category, true AS usable FROM browsing
WHERE item_id IS NOT NULL
UNION ALL
SELECT profile_id, item_id, kind, ts, quantity, category,
       coalesce(quantity > 0 AND NOT isnan(quantity) AND amount >= 0 AND NOT isnan(amount), false)
FROM lines
"""


@dataclass(frozen=True)
class Extracted:
    table: pa.Table  # profile_id, item_id, kind, ts, quantity
    categories: dict[str, str | None]
    excluded: int  # purchase lines with a bad quantity or price


def extract(s: Session, settings: Settings, *, until: datetime) -> Extracted:
    """The interactions of the ``settings.recommend_window_days`` before ``until`` (the
    training time, or an earlier cutoff for an offline evaluation)."""
    params = {
        "since": until - timedelta(days=settings.recommend_window_days),
        "until": until,
        "currency": settings.currency,
    }
    table = s.execute(INTERACTIONS_SQL, params, step="recommend.interactions").to_arrow_table()
    usable = table["usable"].to_pylist()
    excluded = usable.count(False)
    table = table.filter(pa.array(usable, pa.bool_()))
    categories: dict[str, str | None] = {}
    for item, category in zip(
        table["item_id"].to_pylist(), table["category"].to_pylist(), strict=True
    ):
        if category:
            categories[item] = category
        else:
            categories.setdefault(item, None)
    catalog = s.fetchall(
        "SELECT item_id, category FROM catalog_items WHERE category IS NOT NULL",
        step="recommend.catalog_categories",
    )
    categories.update({str(i): str(c) for i, c in catalog})  # the catalog is authoritative
    return Extracted(table.select(["profile_id", "item_id", "kind", "ts", "quantity"]),
                     categories, excluded)  # fmt: skip
