-- traits custom_columns_last_city
SELECT
  profile_id,
  "city",
  "timestamp"
FROM event_profiles
LIMIT 0;
