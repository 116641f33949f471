-- traits custom_traits
WITH wide AS (
  SELECT
    profile_id,
    TO_JSON(
      COUNT(*) FILTER(WHERE
        event = 'Order Completed'
        AND timestamp >= CAST($now AS TIMESTAMPTZ) - INTERVAL '90' DAY)
    ) AS "orders_90d",
    TO_JSON(ARG_MAX(city, timestamp)) AS "last_city"
  FROM event_profiles
  GROUP BY
    profile_id
)
SELECT
  profile_id,
  name,
  value
FROM (
  UNPIVOT wide
  ON COLUMNS(*
  EXCLUDE (profile_id))
  INTO NAME name VALUE value
);
