-- report affinity_category
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
    AND timestamp >= $start
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
), basket AS (
  SELECT
    profile_id,
    item
  FROM sold
  GROUP BY
    profile_id,
    item
  HAVING
    SUM(quantity) > 0
), total AS (
  SELECT
    COUNT(DISTINCT profile_id) AS buyers
  FROM basket
), items AS (
  SELECT
    b.item,
    b.n,
    l.name
  FROM (
    SELECT
      item,
      COUNT(*) AS n
    FROM basket
    GROUP BY
      item
  ) AS b
  LEFT JOIN (
    SELECT
      item,
      CAST(NULL AS TEXT) AS name
    FROM sold
    GROUP BY
      item
  ) AS l
    USING (item)
), pairs AS (
  SELECT
    a.item AS item_a,
    b.item AS item_b,
    COUNT(*) AS both_n
  FROM basket AS a
  JOIN basket AS b
    ON a.profile_id = b.profile_id AND a.item <> b.item
  GROUP BY
    a.item,
    b.item
  HAVING
    COUNT(*) >= $min_count
), ranked AS (
  SELECT
    p.item_a,
    ia.name AS name_a,
    p.item_b,
    ib.name AS name_b,
    ia.n AS buyers_a,
    ib.n AS buyers_b,
    p.both_n AS buyers_both,
    CAST(p.both_n AS DOUBLE) / NULLIF(t.buyers, 0) AS support,
    CAST(p.both_n AS DOUBLE) / NULLIF(ia.n, 0) AS confidence,
    CAST(p.both_n * t.buyers AS DOUBLE) / NULLIF(ia.n * ib.n, 0) AS lift
  FROM pairs AS p
  CROSS JOIN total AS t
  JOIN items AS ia
    ON ia.item = p.item_a
  JOIN items AS ib
    ON ib.item = p.item_b
  WHERE
    CAST(p.both_n AS DOUBLE) / NULLIF(t.buyers, 0) >= $min_support
  ORDER BY
    lift DESC,
    buyers_both DESC,
    p.item_a,
    p.item_b
  LIMIT $limit
)
/* The total rides along, so an answer without pairs still says how many buyers there were. */
SELECT
  t.buyers,
  r.*
FROM total AS t
LEFT JOIN ranked AS r
  ON TRUE
ORDER BY
  r.lift DESC,
  r.buyers_both DESC,
  r.item_a,
  r.item_b;
