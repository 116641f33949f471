"""Click-through and revenue per placement (``GET /v1/reports/recommendations``).

A click is a ``Product Clicked`` event whose ``properties.recommendation_id`` names a logged
answer. Attributed revenue: lines of the same person's counted orders, for an item they clicked
in a recommendation, placed within ``recommend_attribution_days`` (a setting, 7 by default)
after the click (last click wins when a line follows several).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from unicx.config import Settings
from unicx.profiles.orders_sql import ORDER_LINES_STEP, order_core_steps
from unicx.recommend.models import PlacementRow
from unicx.store import Store

REPORT_SQL = f"""
WITH served AS (
  SELECT recommendation_id, placement FROM rec_served
  WHERE served_at >= $start AND served_at < $end
),
scoped AS (
  SELECT profile_id, message_id, timestamp, type, event, properties FROM event_profiles
  WHERE profile_id IS NOT NULL AND type = 'track' AND timestamp >= $start
    AND timestamp < $until
    AND event IN ('Product Clicked', 'Order Completed', 'Order Refunded')
),
clicks AS (
  SELECT DISTINCT s.placement, s.recommendation_id, c.profile_id, c.timestamp AS clicked_at,
         coalesce(c.properties->>'$.product_id', c.properties->>'$.sku') AS item_id
  FROM scoped c JOIN served s
    ON s.recommendation_id = (c.properties->>'$.recommendation_id')
  WHERE c.event = 'Product Clicked'
),
{order_core_steps("scoped")},
{ORDER_LINES_STEP},
attributed AS (
  SELECT arg_max(k.placement, k.clicked_at) AS placement, o.order_id, l.amount
  FROM order_lines l
  JOIN orders o USING (profile_id, order_id)
  JOIN clicks k ON k.profile_id = l.profile_id AND k.item_id = l.product_id
   AND o.ordered_at >= k.clicked_at
   AND o.ordered_at < k.clicked_at + to_days(CAST($days AS INTEGER))
  WHERE o.counted
  GROUP BY o.profile_id, o.order_id, l.product_id, l.amount
),
per_served AS (
  SELECT placement, count(*) AS served FROM served GROUP BY placement
),
per_click AS (
  SELECT placement, count(*) AS clicks, count(DISTINCT recommendation_id) AS clicked
  FROM clicks GROUP BY placement
),
per_order AS (
  SELECT placement, count(DISTINCT order_id) AS orders, coalesce(sum(amount), 0) AS revenue
  FROM attributed GROUP BY placement
)
SELECT s.placement, s.served, coalesce(c.clicks, 0) AS clicks,
       round(coalesce(c.clicked, 0) / s.served, 4) AS click_through_rate,
       coalesce(o.orders, 0) AS orders, round(coalesce(o.revenue, 0), 2) AS revenue
FROM per_served s LEFT JOIN per_click c USING (placement) LEFT JOIN per_order o USING (placement)
ORDER BY s.served DESC, s.placement
"""


def placement_report(
    store: Store, settings: Settings, *, start: datetime, end: datetime
) -> list[PlacementRow]:
    params = {
        "start": start,
        "end": end,
        "until": end + timedelta(days=settings.recommend_attribution_days),
        "days": settings.recommend_attribution_days,
        "currency": settings.currency,
    }
    with store.session() as s:
        rows = s.fetch_dicts(REPORT_SQL, params, step="recommend.report")
    return [PlacementRow.model_validate(r) for r in rows]
