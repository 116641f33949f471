-- traits custom_dry_run_last_city
SELECT
  profile_id,
  TO_JSON(ARG_MAX(city, timestamp))
FROM event_profiles
GROUP BY
  profile_id;
