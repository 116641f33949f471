-- overview orders
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
    AND timestamp >= $previous
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
)
SELECT
  CAST(TIMEZONE($tz, ordered_at) AS DATE) AS day,
  ordered_at >= $start AS period,
  COUNT(*) FILTER(WHERE
    counted) AS orders,
  COALESCE(SUM(net), 0) AS revenue,
  COUNT(DISTINCT profile_id) FILTER(WHERE
    counted) AS buyers
FROM orders
WHERE
  ordered_at >= $previous AND ordered_at < $end
GROUP BY
  GROUPING SETS (
    (
      day
    ),
    (
      period
    )
  );
