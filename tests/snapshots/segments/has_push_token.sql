-- segment has_push_token
-- $now = null
WITH has_push_token AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL AND NOT (
      e.context ->> '$.device.token'
    ) IS NULL
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM has_push_token
    )
  );
