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

from collections.abc import Sequence

from unicx.profiles.computed_sql import LOCAL_TODAY, local_date

# The JSON fields the order steps read. Each event's properties are parsed once into a list of
# them (see ``parsed``); the products array, when there is one, once more.
ITEM_FIELDS = ("product_id", "sku", "name", "product_name", "category", "quantity", "price")
ORDER_FIELDS = (
    "order_id", "orderId", "line_total", "revenue", "total", "currency", "products", *ITEM_FIELDS
)  # fmt: skip


def parsed(source: str, fields: Sequence[str]) -> str:
    """``fields`` of the JSON ``source`` as one VARCHAR[] from one parse, to select ``AS f``.

    Behind ``unnest`` (of a one-element list) so the optimizer cannot push a filter on an
    element below the parse and parse again for every predicate."""
    paths = ", ".join(f"'$.{name}'" for name in fields)
    return f"unnest([json_extract_string({source}, [{paths}])])"


def field(fields: Sequence[str], name: str, var: str = "f") -> str:
    return f"{var}[{fields.index(name) + 1}]"


def number(fields: Sequence[str], name: str, var: str = "f") -> str:
    return f"TRY_CAST({field(fields, name, var)} AS DOUBLE)"


def item_columns(fields: Sequence[str], var: str = "f") -> str:
    """product_id (else sku), name (else product_name) and category of a parsed item."""

    def get(name: str) -> str:
        return field(fields, name, var)

    return (
        f"coalesce({get('product_id')}, {get('sku')}) AS product_id, "
        f"coalesce({get('name')}, {get('product_name')}) AS name, {get('category')} AS category"
    )


def _num(path: str, source: str) -> str:
    return f"TRY_CAST(json_extract_string({source}, '$.{path}') AS DOUBLE)"


# The products array, parsed from its JSON text only where needed (try: a plain-string value
# that is not JSON text gives none).
PRODUCTS = f"try(json_extract({field(ORDER_FIELDS, 'products')}, '$[*]'))"
# Function-call JSON access inside the list comprehension: DuckDB reads a bare -> there as a
# lambda arrow.
PRODUCTS_VALUE = (
    f"list_sum([{_num('price', 'p')} * coalesce({_num('quantity', 'p')}, 1) FOR p IN {PRODUCTS}])"
)


def _spend(days: int) -> str:
    # The last N local calendar days, today included.
    return (
        f"sum(net) FILTER (WHERE {local_date('ordered_at')} > {LOCAL_TODAY} - {days})"
        f" AS spend_{days}d"
    )


def order_core_steps(source: str = "ev") -> str:
    """Orders and their net value, what traits and reports (unicx.reports) build on. Reads
    ``source`` (profile_id, message_id, timestamp, type, event, properties); ``$currency``."""
    f = ORDER_FIELDS
    # Materialized: completed orders, refunds and lines all read it, from one scan.
    return f"""order_events AS MATERIALIZED (
  SELECT profile_id, message_id, timestamp, event, f,
         coalesce({field(f, "order_id")}, {field(f, "orderId")}, 'msg:' || message_id) AS order_id,
         {number(f, "line_total")} AS line_total,
         coalesce({number(f, "revenue")}, {number(f, "total")}, {PRODUCTS_VALUE}) AS amount
  FROM (
    SELECT profile_id, message_id, timestamp, event, {parsed("properties", f)} AS f
    FROM {source}
    WHERE type = 'track' AND event IN ('Order Completed', 'Order Refunded')
  )
  WHERE upper(coalesce({field(f, "currency")}, $currency)) = upper($currency)
),
order_value AS (
  SELECT profile_id, order_id, min(timestamp) AS ordered_at,
         CASE WHEN count(line_total) > 0 THEN sum(line_total)
              ELSE arg_max(coalesce(amount, 0), timestamp) END AS value
  FROM order_events WHERE event = 'Order Completed'
  GROUP BY profile_id, order_id
),
refunds AS (
  -- abs: an imported returned line is an Order Refunded whose revenue is signed (negative).
  SELECT profile_id, order_id, sum(abs(amount)) AS amount, bool_or(amount IS NULL) AS whole
  FROM order_events WHERE event = 'Order Refunded'
  GROUP BY profile_id, order_id
),
orders AS (
  SELECT o.profile_id, o.order_id, o.ordered_at, o.value,
         CASE WHEN r.whole THEN 0
              WHEN o.value > 0 THEN greatest(o.value - coalesce(r.amount, 0), 0)
              ELSE o.value END AS net,
         -- the orders orders_count counts: a positive value, not refunded in full
         o.value > 0 AND NOT coalesce(r.whole, false) AND o.value > coalesce(r.amount, 0)
           AS counted
  FROM order_value o LEFT JOIN refunds r USING (profile_id, order_id)
)"""


ORDER_CORE_STEPS = order_core_steps()


def _line_quantity(fields: Sequence[str], var: str) -> str:
    return f"coalesce({number(fields, 'quantity', var)}, 1)"


# One row per product line of an order: imported lines (returned lines, sent as Order Refunded
# or with a negative quantity, subtract) and the products[] of tracked orders.
ORDER_LINES_STEP = f"""order_lines AS (
  SELECT profile_id, order_id, {item_columns(ORDER_FIELDS)},
         CASE WHEN event = 'Order Refunded' THEN -abs({_line_quantity(ORDER_FIELDS, "f")})
              ELSE {_line_quantity(ORDER_FIELDS, "f")} END AS quantity,
         CASE WHEN event = 'Order Refunded' THEN -abs(line_total) ELSE line_total END AS amount
  FROM order_events WHERE line_total IS NOT NULL
  UNION ALL
  SELECT profile_id, order_id, {item_columns(ITEM_FIELDS, "g")},
         {_line_quantity(ITEM_FIELDS, "g")} AS quantity,
         {number(ITEM_FIELDS, "price", "g")} * {_line_quantity(ITEM_FIELDS, "g")} AS amount
  FROM (
    SELECT profile_id, order_id, {parsed("p", ITEM_FIELDS)} AS g
    FROM (
      SELECT profile_id, order_id, unnest({PRODUCTS}) AS p
      FROM order_events WHERE event = 'Order Completed' AND line_total IS NULL
    )
  )
)"""

_TRAIT_STEPS = f"""order_totals AS (
  SELECT profile_id,
         count(*) FILTER (WHERE counted) AS orders_count,
         sum(net) AS revenue,
         min(ordered_at) FILTER (WHERE counted) AS first_order_at,
         max(ordered_at) FILTER (WHERE counted) AS last_order_at,
         {_spend(30)}, {_spend(90)}, {_spend(365)}
  FROM orders GROUP BY profile_id
),
category_totals AS (
  SELECT l.profile_id, l.category, sum(l.quantity) AS quantity,
         coalesce(sum(l.amount), 0) AS amount
  FROM order_lines l JOIN orders o USING (profile_id, order_id)
  WHERE o.counted AND l.category IS NOT NULL AND l.category <> ''
  GROUP BY ALL
),
favourite AS (
  SELECT profile_id, arg_min(category, (-quantity, -amount, category)) AS favourite_category
  FROM category_totals WHERE quantity > 0
  GROUP BY profile_id
)"""

ORDER_STEPS = ",\n".join((ORDER_CORE_STEPS, ORDER_LINES_STEP, _TRAIT_STEPS))
