-- segment context_not_exists
-- $now = null
WITH utm_source_known AS (
  SELECT
    profile_id
  FROM (
    SELECT
      e.profile_id,
      ARG_MAX(e.utm_source, e.timestamp) AS v
    FROM event_profiles AS e
    WHERE
      NOT e.profile_id IS NULL AND NOT e.utm_source IS NULL
    GROUP BY
      e.profile_id
  )
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    NOT (
      profile_id IN (
        SELECT
          profile_id
        FROM utm_source_known
      )
    )
  );
