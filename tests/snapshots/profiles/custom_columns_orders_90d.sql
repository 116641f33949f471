-- traits custom_columns_orders_90d
SELECT
  profile_id,
  "event",
  "timestamp"
FROM event_profiles
LIMIT 0;
