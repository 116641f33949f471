-- traits custom_dry_run_orders_90d
SELECT
  profile_id,
  TO_JSON(
    COUNT(*) FILTER(WHERE
      event = 'Order Completed'
      AND timestamp >= CAST($now AS TIMESTAMPTZ) - INTERVAL '90' DAY)
  )
FROM event_profiles
GROUP BY
  profile_id;
