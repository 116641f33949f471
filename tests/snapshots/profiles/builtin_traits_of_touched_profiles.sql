-- traits builtin_traits_of_touched_profiles
INSERT INTO computed_traits (
  profile_id,
  name,
  value,
  computed_at
)
WITH ev AS (
  SELECT
    profile_id,
    message_id,
    type,
    event,
    channel,
    timestamp,
    properties,
    context,
    local_hour,
    device_type,
    library_name
  FROM unicx_trait_events
  WHERE
    TRUE
), visits AS (
  SELECT
    profile_id,
    timestamp,
    type,
    device_type,
    local_hour,
    CASE
      WHEN type = 'screen'
      OR LOWER(channel) = 'mobile'
      OR JSON_EXISTS(context, '$.app')
      OR REGEXP_MATCHES(
        LOWER(COALESCE(library_name, '')),
        'ios|android|react-native|flutter|swift|kotlin|xamarin|unity|cordova'
      )
      THEN 'app'
      WHEN type = 'page'
      OR LOWER(channel) IN ('browser', 'web', 'client')
      OR REGEXP_MATCHES(
        LOWER(COALESCE(library_name, '')),
        'analytics\.js|analytics-next|rudder-analytics|javascript|browser'
      )
      THEN 'web'
    END AS visit_channel,
    context ->> '$.sessionId' AS session_id
  FROM ev
  WHERE
    type IN ('page', 'screen', 'track')
), interactive AS (
  SELECT
    *
  FROM visits
  WHERE
    NOT visit_channel IS NULL
), session_starts AS (
  SELECT
    profile_id,
    CASE
      WHEN timestamp - LAG(timestamp) OVER w <= INTERVAL '30' MINUTE
      THEN 0
      ELSE 1
    END AS starts
  FROM interactive
  WHERE
    session_id IS NULL
  WINDOW w AS (PARTITION BY profile_id ORDER BY timestamp)
), sessions AS (
  SELECT
    profile_id,
    SUM(n) AS sessions
  FROM (
    SELECT
      profile_id,
      COUNT(DISTINCT session_id) AS n
    FROM interactive
    WHERE
      NOT session_id IS NULL
    GROUP BY
      profile_id
    UNION ALL
    SELECT
      profile_id,
      SUM(starts) AS n
    FROM session_starts
    GROUP BY
      profile_id
  )
  GROUP BY
    profile_id
), seen AS (
  SELECT
    profile_id,
    MIN(timestamp) AS first_seen,
    MAX(timestamp) AS last_seen,
    COUNT(*) FILTER(WHERE
      type IN ('page', 'screen')) AS page_views
  FROM ev
  GROUP BY
    profile_id
), channel_counts AS (
  SELECT
    profile_id,
    visit_channel AS v,
    COUNT(*) AS n,
    MAX(timestamp) AS latest
  FROM interactive
  GROUP BY ALL
), device_counts AS (
  SELECT
    profile_id,
    device_type AS v,
    COUNT(*) AS n,
    MAX(timestamp) AS latest
  FROM interactive
  WHERE
    NOT device_type IS NULL AND NOT device_type IN ('bot', 'server')
  GROUP BY ALL
), hour_counts AS (
  SELECT
    profile_id,
    CASE
      WHEN h BETWEEN 5 AND 11
      THEN 'morning'
      WHEN h BETWEEN 12 AND 16
      THEN 'afternoon'
      WHEN h BETWEEN 17 AND 21
      THEN 'evening'
      ELSE 'night'
    END AS v,
    COUNT(*) AS n,
    MAX(timestamp) AS latest
  FROM (
    SELECT
      *,
      COALESCE(local_hour, HOUR(TIMEZONE($tz, timestamp))) AS h
    FROM interactive
  )
  GROUP BY ALL
), channel_pref AS (
  SELECT
    profile_id,
    ARG_MAX(v, (n, latest, v)) AS preferred_channel
  FROM channel_counts
  GROUP BY
    profile_id
), device_pref AS (
  SELECT
    profile_id,
    ARG_MAX(v, (n, latest, v)) AS preferred_device
  FROM device_counts
  GROUP BY
    profile_id
), hour_pref AS (
  SELECT
    profile_id,
    ARG_MAX(v, (n, latest, v)) AS time_of_day
  FROM hour_counts
  GROUP BY
    profile_id
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
    FROM ev
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
), order_totals AS (
  SELECT
    profile_id,
    COUNT(*) FILTER(WHERE
      counted) AS orders_count,
    SUM(net) AS revenue,
    MIN(ordered_at) FILTER(WHERE
      counted) AS first_order_at,
    MAX(ordered_at) FILTER(WHERE
      counted) AS last_order_at,
    SUM(net) FILTER(WHERE
      CAST(TIMEZONE($tz, ordered_at) AS DATE) > CAST(TIMEZONE($tz, CAST($now AS TIMESTAMPTZ)) AS DATE) - 30) AS spend_30d,
    SUM(net) FILTER(WHERE
      CAST(TIMEZONE($tz, ordered_at) AS DATE) > CAST(TIMEZONE($tz, CAST($now AS TIMESTAMPTZ)) AS DATE) - 90) AS spend_90d,
    SUM(net) FILTER(WHERE
      CAST(TIMEZONE($tz, ordered_at) AS DATE) > CAST(TIMEZONE($tz, CAST($now AS TIMESTAMPTZ)) AS DATE) - 365) AS spend_365d
  FROM orders
  GROUP BY
    profile_id
), category_totals AS (
  SELECT
    l.profile_id,
    l.category,
    SUM(l.quantity) AS quantity,
    COALESCE(SUM(l.amount), 0) AS amount
  FROM order_lines AS l
  JOIN orders AS o
    USING (profile_id, order_id)
  WHERE
    o.counted AND NOT l.category IS NULL AND l.category <> ''
  GROUP BY ALL
), favourite AS (
  SELECT
    profile_id,
    ARG_MIN(category, (-quantity, -amount, category)) AS favourite_category
  FROM category_totals
  WHERE
    quantity > 0
  GROUP BY
    profile_id
), rfm_buyers AS (
  SELECT
    profile_id,
    last_order_at,
    CAST(orders_count AS DOUBLE) AS orders_count,
    revenue
  FROM order_totals
  WHERE
    orders_count > 0
  UNION ALL
  SELECT
    profile_id,
    MAX(CASE WHEN name = 'last_order_at' THEN CAST(value ->> '$' AS TIMESTAMPTZ) END),
    MAX(CASE WHEN name = 'orders_count' THEN CAST(value AS DOUBLE) END),
    MAX(CASE WHEN name = 'revenue' THEN CAST(value AS DOUBLE) END)
  FROM computed_traits
  WHERE
    name IN ('last_order_at', 'orders_count', 'revenue')
  GROUP BY
    profile_id
  HAVING
    MAX(CASE WHEN name = 'orders_count' THEN CAST(value AS DOUBLE) END) > 0
), rfm_base AS (
  SELECT
    profile_id,
    DATE_DIFF(
      'DAY',
      CAST(TIMEZONE($tz, last_order_at) AS DATE),
      CAST(TIMEZONE($tz, CAST($now AS TIMESTAMPTZ)) AS DATE)
    ) AS recency,
    orders_count AS frequency,
    revenue AS monetary
  FROM rfm_buyers
), rfm_bounds AS (
  SELECT
    QUANTILE_CONT(recency, [0.2, 0.4, 0.6, 0.8]) AS rb,
    QUANTILE_CONT(frequency, [0.2, 0.4, 0.6, 0.8]) AS fb,
    QUANTILE_CONT(monetary, [0.2, 0.4, 0.6, 0.8]) AS mb
  FROM rfm_base
), rfm_scores AS (
  SELECT
    b.profile_id,
    1 + CAST((
      recency <= rb[1]
    ) AS INT) + CAST((
      recency <= rb[2]
    ) AS INT) + CAST((
      recency <= rb[3]
    ) AS INT) + CAST((
      recency <= rb[4]
    ) AS INT) AS r,
    1 + CAST((
      frequency > fb[1]
    ) AS INT) + CAST((
      frequency > fb[2]
    ) AS INT) + CAST((
      frequency > fb[3]
    ) AS INT) + CAST((
      frequency > fb[4]
    ) AS INT) AS f,
    1 + CAST((
      monetary > mb[1]
    ) AS INT) + CAST((
      monetary > mb[2]
    ) AS INT) + CAST((
      monetary > mb[3]
    ) AS INT) + CAST((
      monetary > mb[4]
    ) AS INT) AS m
  FROM rfm_base AS b
  CROSS JOIN rfm_bounds
  WHERE
    b.profile_id IN (
      SELECT
        profile_id
      FROM order_totals
      WHERE
        orders_count > 0
    )
), rfm_grid AS (
  SELECT
    *
  FROM (VALUES
    (5, 1, 'New Customers'),
    (5, 2, 'Potential Loyalist'),
    (5, 3, 'Potential Loyalist'),
    (5, 4, 'Champions'),
    (5, 5, 'Champions'),
    (4, 1, 'Promising'),
    (4, 2, 'Potential Loyalist'),
    (4, 3, 'Potential Loyalist'),
    (4, 4, 'Loyal Customers'),
    (4, 5, 'Loyal Customers'),
    (3, 1, 'About To Sleep'),
    (3, 2, 'About To Sleep'),
    (3, 3, 'Need Attention'),
    (3, 4, 'Loyal Customers'),
    (3, 5, 'Loyal Customers'),
    (2, 1, 'Hibernating'),
    (2, 2, 'Hibernating'),
    (2, 3, 'At Risk'),
    (2, 4, 'At Risk'),
    (2, 5, 'Can''t Lose Them'),
    (1, 1, 'Lost'),
    (1, 2, 'Hibernating'),
    (1, 3, 'At Risk'),
    (1, 4, 'At Risk'),
    (1, 5, 'Can''t Lose Them')) AS g(r, fm, segment)
), rfm AS (
  SELECT
    s.profile_id,
    s.r AS rfm_recency_score,
    s.f AS rfm_frequency_score,
    s.m AS rfm_monetary_score,
    CONCAT(s.r, s.f, s.m) AS rfm_score,
    g.segment AS rfm_segment
  FROM rfm_scores AS s
  JOIN rfm_grid AS g
    ON g.r = s.r AND g.fm = (
      s.f + s.m + 1
    ) // 2
), wide AS (
  SELECT
    s.profile_id,
    TO_JSON(STRFTIME(TIMEZONE('UTC', s.first_seen), '%Y-%m-%dT%H:%M:%S.%gZ')) AS first_seen,
    TO_JSON(STRFTIME(TIMEZONE('UTC', s.last_seen), '%Y-%m-%dT%H:%M:%S.%gZ')) AS last_seen,
    TO_JSON(CAST(COALESCE(x.sessions, 0) AS BIGINT)) AS sessions,
    TO_JSON(CAST(s.page_views AS BIGINT)) AS page_views,
    TO_JSON(CAST(COALESCE(o.orders_count, 0) AS BIGINT)) AS orders_count,
    TO_JSON(ROUND(COALESCE(o.revenue, 0), 2)) AS revenue,
    TO_JSON(ROUND(o.revenue / NULLIF(o.orders_count, 0), 2)) AS average_order_value,
    TO_JSON(STRFTIME(TIMEZONE('UTC', o.first_order_at), '%Y-%m-%dT%H:%M:%S.%gZ')) AS first_order_at,
    TO_JSON(STRFTIME(TIMEZONE('UTC', o.last_order_at), '%Y-%m-%dT%H:%M:%S.%gZ')) AS last_order_at,
    TO_JSON(
      DATE_DIFF(
        'DAY',
        CAST(TIMEZONE($tz, o.last_order_at) AS DATE),
        CAST(TIMEZONE($tz, CAST($now AS TIMESTAMPTZ)) AS DATE)
      )
    ) AS days_since_last_order,
    TO_JSON(ROUND(COALESCE(o.spend_30d, 0), 2)) AS spend_30d,
    TO_JSON(ROUND(COALESCE(o.spend_90d, 0), 2)) AS spend_90d,
    TO_JSON(ROUND(COALESCE(o.spend_365d, 0), 2)) AS spend_365d,
    TO_JSON(r.rfm_recency_score) AS rfm_recency_score,
    TO_JSON(r.rfm_frequency_score) AS rfm_frequency_score,
    TO_JSON(r.rfm_monetary_score) AS rfm_monetary_score,
    TO_JSON(r.rfm_score) AS rfm_score,
    TO_JSON(r.rfm_segment) AS rfm_segment,
    TO_JSON(c.favourite_category) AS favourite_category,
    TO_JSON(ch.preferred_channel) AS preferred_channel,
    TO_JSON(dv.preferred_device) AS preferred_device,
    TO_JSON(hr.time_of_day) AS time_of_day
  FROM seen AS s
  LEFT JOIN sessions AS x
    USING (profile_id)
  LEFT JOIN order_totals AS o
    USING (profile_id)
  LEFT JOIN rfm AS r
    USING (profile_id)
  LEFT JOIN favourite AS c
    USING (profile_id)
  LEFT JOIN channel_pref AS ch
    USING (profile_id)
  LEFT JOIN device_pref AS dv
    USING (profile_id)
  LEFT JOIN hour_pref AS hr
    USING (profile_id)
)
SELECT
  profile_id,
  name,
  value,
  CAST($now AS TIMESTAMPTZ)
FROM (
  UNPIVOT wide
  ON COLUMNS(*
  EXCLUDE (profile_id))
  INTO NAME name VALUE value
);
