"""SQL steps for order traits: orders, refunds, spend windows and favourite category.

Two shapes of order reach unicx as ``Order Completed`` track events and must add up alike:

* a tracked order (Segment ecommerce spec): one event per order, its value in
  ``properties.revenue`` (else ``total``, else the sum of ``products[].price * quantity``);
* an imported order file: one event per line item carrying ``properties.line_total`` (negative
  for a returned line), so the order's value is the sum of its lines.

``Order Refunded`` subtracts its ``revenue``/``total``/products value from the order it names, or
the whole order when it carries no amount. Only orders in the workspace currency (or without a
currency) count; see docs/traits.md.
"""

from __future__ import annotations

from unicx.profiles.computed_sql import LOCAL_TODAY, local_date


def _num(path: str, source: str = "properties") -> str:
    return f"TRY_CAST(json_extract_string({source}, '$.{path}') AS DOUBLE)"


# Function-call JSON access inside the list comprehension: DuckDB reads a bare -> there as a
# lambda arrow.
PRODUCTS_VALUE = (
    f"list_sum([{_num('price', 'p')} * coalesce({_num('quantity', 'p')}, 1) "
    "FOR p IN json_extract(properties, '$.products[*]')])"
)


def _spend(days: int) -> str:
    # The last N local calendar days, today included.
    return (
        f"sum(net) FILTER (WHERE {local_date('ordered_at')} > {LOCAL_TODAY} - {days})"
        f" AS spend_{days}d"
    )


ORDER_STEPS = f"""order_events AS (
  SELECT profile_id, message_id, timestamp, event, properties,
         coalesce(properties->>'order_id', properties->>'orderId', 'msg:' || message_id)
           AS order_id,
         {_num("line_total")} AS line_total,
         coalesce({_num("revenue")}, {_num("total")}, {PRODUCTS_VALUE}) AS amount
  FROM ev
  WHERE type = 'track' AND event IN ('Order Completed', 'Order Refunded')
    AND upper(coalesce(properties->>'currency', $currency)) = upper($currency)
),
order_value AS (
  SELECT profile_id, order_id, min(timestamp) AS ordered_at,
         CASE WHEN count(line_total) > 0 THEN sum(line_total)
              ELSE arg_max(coalesce(amount, 0), timestamp) END AS value
  FROM order_events WHERE event = 'Order Completed'
  GROUP BY profile_id, order_id
),
refunds AS (
  SELECT profile_id, order_id, sum(amount) AS amount, bool_or(amount IS NULL) AS whole
  FROM order_events WHERE event = 'Order Refunded'
  GROUP BY profile_id, order_id
),
orders AS (
  SELECT o.profile_id, o.order_id, o.ordered_at, o.value,
         CASE WHEN r.whole THEN 0
              WHEN o.value > 0 THEN greatest(o.value - coalesce(r.amount, 0), 0)
              ELSE o.value END AS net
  FROM order_value o LEFT JOIN refunds r USING (profile_id, order_id)
),
order_totals AS (
  SELECT profile_id,
         count(*) FILTER (WHERE value > 0 AND net > 0) AS orders_count,
         sum(net) AS revenue,
         min(ordered_at) FILTER (WHERE value > 0 AND net > 0) AS first_order_at,
         max(ordered_at) FILTER (WHERE value > 0 AND net > 0) AS last_order_at,
         {_spend(30)}, {_spend(90)}, {_spend(365)}
  FROM orders GROUP BY profile_id
),
order_lines AS (
  SELECT profile_id, order_id, properties->>'category' AS category,
         coalesce({_num("quantity")}, 1) AS quantity, line_total AS amount
  FROM order_events WHERE event = 'Order Completed' AND line_total IS NOT NULL
  UNION ALL
  SELECT profile_id, order_id, p->>'category' AS category,
         coalesce({_num("quantity", "p")}, 1) AS quantity,
         {_num("price", "p")} * coalesce({_num("quantity", "p")}, 1) AS amount
  FROM (
    SELECT profile_id, order_id, unnest(properties->'$.products[*]') AS p
    FROM order_events WHERE event = 'Order Completed' AND line_total IS NULL
  )
),
category_totals AS (
  SELECT l.profile_id, l.category, sum(l.quantity) AS quantity,
         coalesce(sum(l.amount), 0) AS amount
  FROM order_lines l JOIN orders o USING (profile_id, order_id)
  WHERE o.net > 0 AND l.category IS NOT NULL AND l.category <> ''
  GROUP BY ALL
),
favourite AS (
  SELECT profile_id, arg_min(category, (-quantity, -amount, category)) AS favourite_category
  FROM category_totals WHERE quantity > 0
  GROUP BY profile_id
)"""
