-- report products_category
WITH order_ev AS (
  SELECT
    profile_id,
    message_id,
    timestamp,
    type,
    event,
    properties
  FROM event_profiles
  WHERE
    NOT profile_id IS NULL
    AND timestamp >= $prev_start
    AND timestamp < $end
    AND type = 'track'
    AND event IN ('Order Completed', 'Order Refunded')
), order_events AS MATERIALIZED (
  SELECT
    profile_id,
    message_id,
    timestamp,
    event,
    f,
    COALESCE(f[1], f[2], 'msg:' || message_id) AS order_id,
    TRY_CAST(f[3] AS DOUBLE) AS line_total,
    COALESCE(
      TRY_CAST(f[4] AS DOUBLE),
      TRY_CAST(f[5] AS DOUBLE),
      LIST_SUM(
        [
          TRY_CAST(p ->> '$.price' AS DOUBLE) * COALESCE(TRY_CAST(p ->> '$.quantity' AS DOUBLE), 1) FOR p IN TRY(f[7] -> '$[*]')
        ]
      )
    ) AS amount
  FROM (
    SELECT
      profile_id,
      message_id,
      timestamp,
      event,
      UNNEST(
        [
          properties ->> [
            '$.order_id',
            '$.orderId',
            '$.line_total',
            '$.revenue',
            '$.total',
            '$.currency',
            '$.products',
            '$.product_id',
            '$.sku',
            '$.name',
            '$.product_name',
            '$.category',
            '$.quantity',
            '$.price'
          ]
        ]
      ) AS f
    FROM order_ev
    WHERE
      type = 'track' AND event IN ('Order Completed', 'Order Refunded')
  )
  WHERE
    UPPER(COALESCE(f[6], $currency)) = UPPER($currency)
), order_value AS (
  SELECT
    profile_id,
    order_id,
    MIN(timestamp) AS ordered_at,
    CASE
      WHEN COUNT(line_total) > 0
      THEN SUM(line_total)
      ELSE ARG_MAX(COALESCE(amount, 0), timestamp)
    END AS value
  FROM order_events
  WHERE
    event = 'Order Completed'
  GROUP BY
    profile_id,
    order_id
), refunds AS (
  /* abs: an imported returned line is an Order Refunded whose revenue is signed (negative). */
  SELECT
    profile_id,
    order_id,
    SUM(ABS(amount)) AS amount,
    BOOL_OR(CAST(amount IS NULL AS BOOLEAN)) AS whole
  FROM order_events
  WHERE
    event = 'Order Refunded'
  GROUP BY
    profile_id,
    order_id
), orders AS (
  SELECT
    o.profile_id,
    o.order_id,
    o.ordered_at,
    o.value,
    CASE
      WHEN r.whole
      THEN 0
      WHEN o.value > 0
      THEN GREATEST(o.value - COALESCE(r.amount, 0), 0)
      ELSE o.value
    END AS net,
    o.value /* the orders orders_count counts: a positive value, not refunded in full */ > 0
    AND NOT COALESCE(r.whole, FALSE)
    AND o.value > COALESCE(r.amount, 0) AS counted
  FROM order_value AS o
  LEFT JOIN refunds AS r
    USING (profile_id, order_id)
), order_lines AS (
  SELECT
    profile_id,
    order_id,
    COALESCE(f[8], f[9]) AS product_id,
    COALESCE(f[10], f[11]) AS name,
    f[12] AS category,
    CASE
      WHEN event = 'Order Refunded'
      THEN -ABS(COALESCE(TRY_CAST(f[13] AS DOUBLE), 1))
      ELSE COALESCE(TRY_CAST(f[13] AS DOUBLE), 1)
    END AS quantity,
    CASE WHEN event = 'Order Refunded' THEN -ABS(line_total) ELSE line_total END AS amount
  FROM order_events
  WHERE
    NOT line_total IS NULL
  UNION ALL
  SELECT
    profile_id,
    order_id,
    COALESCE(g[1], g[2]) AS product_id,
    COALESCE(g[3], g[4]) AS name,
    g[5] AS category,
    COALESCE(TRY_CAST(g[6] AS DOUBLE), 1) AS quantity,
    TRY_CAST(g[7] AS DOUBLE) * COALESCE(TRY_CAST(g[6] AS DOUBLE), 1) AS amount
  FROM (
    SELECT
      profile_id,
      order_id,
      UNNEST(
        [
          p ->> [
            '$.product_id',
            '$.sku',
            '$.name',
            '$.product_name',
            '$.category',
            '$.quantity',
            '$.price'
          ]
        ]
      ) AS g
    FROM (
      SELECT
        profile_id,
        order_id,
        UNNEST(TRY(f[7] -> '$[*]')) AS p
      FROM order_events
      WHERE
        event = 'Order Completed' AND line_total IS NULL
    )
  )
), sold AS (
  SELECT
    NULLIF(category, '') AS item,
    l.name,
    l.category,
    l.profile_id,
    l.order_id,
    l.quantity,
    l.amount,
    o.ordered_at
  FROM order_lines AS l
  JOIN orders AS o
    USING (profile_id, order_id)
  WHERE
    o.counted AND NOT NULLIF(category, '') IS NULL
), browse_ev AS (
  SELECT
    profile_id,
    timestamp,
    event,
    properties
  FROM event_profiles
  WHERE
    NOT profile_id IS NULL
    AND timestamp >= $start
    AND timestamp < $end
    AND type = 'track'
    AND event IN ('Product Viewed', 'Product Added')
), browsed AS (
  SELECT
    NULLIF(category, '') AS item,
    event,
    timestamp,
    properties
  FROM (
    SELECT
      event,
      timestamp,
      properties,
      CAST(NULL AS TEXT) AS product_id,
      f[1] AS category
    FROM (
      SELECT
        event,
        timestamp,
        properties,
        UNNEST([properties ->> ['$.category']]) AS f
      FROM browse_ev
    )
  )
  WHERE
    NOT NULLIF(category, '') IS NULL
), usage AS (
  SELECT
    item,
    COUNT(*) FILTER(WHERE
      event = 'Product Viewed') AS views,
    COUNT(*) FILTER(WHERE
      event = 'Product Added') AS adds
  FROM browsed
  GROUP BY
    item
), sales AS (
  SELECT
    item,
    COUNT(DISTINCT profile_id) FILTER(WHERE
      ordered_at >= $start) AS buyers,
    SUM(quantity) FILTER(WHERE
      ordered_at >= $start) AS units,
    COUNT(DISTINCT order_id) FILTER(WHERE
      ordered_at >= $start) AS orders,
    SUM(amount) FILTER(WHERE
      ordered_at >= $start) AS revenue,
    SUM(amount) FILTER(WHERE
      ordered_at < $start) AS previous_revenue
  FROM sold
  GROUP BY
    item
), joined AS (
  SELECT
    item,
    COALESCE(u.views, 0) AS views,
    COALESCE(u.adds, 0) AS adds,
    COALESCE(s.buyers, 0) AS buyers,
    COALESCE(s.units, 0) AS units,
    COALESCE(s.orders, 0) AS orders,
    ROUND(COALESCE(s.revenue, 0), 2) AS revenue,
    ROUND(COALESCE(s.previous_revenue, 0), 2) AS previous_revenue
  FROM usage AS u
  FULL JOIN sales AS s
    USING (item)
)
SELECT
  item,
  CAST(NULL AS TEXT) AS name,
  item AS category,
  views,
  adds,
  buyers,
  units,
  orders,
  revenue,
  previous_revenue,
  CASE
    WHEN previous_revenue > 0
    THEN CAST(revenue - previous_revenue AS DOUBLE) / NULLIF(previous_revenue, 0)
  END AS growth
FROM joined
ORDER BY
  revenue DESC,
  views DESC,
  item
LIMIT $limit;
