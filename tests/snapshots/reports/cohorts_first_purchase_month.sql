-- report cohorts_first_purchase_month
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
    AND timestamp < $horizon
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
), acts AS (
  SELECT
    profile_id,
    ordered_at AS ts
  FROM orders
  WHERE
    counted
), firsts AS (
  SELECT
    profile_id,
    MIN(ts) AS first_ts
  FROM acts
  GROUP BY
    profile_id
  HAVING
    MIN(ts) >= $start AND MIN(ts) < $end
), cohort AS (
  SELECT
    profile_id,
    CAST(DATE_TRUNC('MONTH', MAKE_TIMESTAMP(EPOCH_US(first_ts) + $offset_us)) AS DATE) AS c
  FROM firsts
), masks AS (
  SELECT
    p.profile_id,
    p.c,
    BIT_OR(CASE WHEN p.k < $periods THEN CAST(1 AS BIGINT) << p.k END) AS mask
  FROM (
    SELECT
      a.profile_id,
      c.c,
      DATE_DIFF(
        'MONTH',
        c.c,
        CAST(DATE_TRUNC('MONTH', MAKE_TIMESTAMP(EPOCH_US(a.ts) + $offset_us)) AS DATE)
      ) AS k
    FROM acts AS a
    JOIN cohort AS c
      USING (profile_id)
    WHERE
      a.ts >= $start
  ) AS p
  GROUP BY
    p.profile_id,
    p.c
), lists AS (
  SELECT
    c,
    COUNT(*) AS size,
    [
      CASE
        WHEN c + INTERVAL '0' MONTH > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 1 <> 0)
      END,
      CASE
        WHEN c + INTERVAL '1' MONTH > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 2 <> 0)
      END,
      CASE
        WHEN c + INTERVAL '2' MONTH > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 4 <> 0)
      END,
      CASE
        WHEN c + INTERVAL '3' MONTH > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 8 <> 0)
      END,
      CASE
        WHEN c + INTERVAL '4' MONTH > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 16 <> 0)
      END,
      CASE
        WHEN c + INTERVAL '5' MONTH > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 32 <> 0)
      END
    ] AS active
  FROM masks
  GROUP BY
    c
)
SELECT
  c AS cohort,
  size,
  active,
  [CAST(x AS DOUBLE) / size FOR x IN active] AS retention
FROM lists
ORDER BY
  cohort;
