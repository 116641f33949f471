-- traits custom_columns_of_touched_profiles
SELECT
  profile_id,
  "event",
  "timestamp"
FROM unicx_trait_events
WHERE
  TRUE;
