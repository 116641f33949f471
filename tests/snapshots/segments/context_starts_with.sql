-- segment context_starts_with
-- $now = null
-- $p1 = "vi"
WITH locale_starts_with_vi AS (
  SELECT
    profile_id
  FROM (
    SELECT
      e.profile_id,
      ARG_MAX(e.locale, e.timestamp) AS v
    FROM event_profiles AS e
    WHERE
      NOT e.profile_id IS NULL AND NOT e.locale IS NULL
    GROUP BY
      e.profile_id
  )
  WHERE
    STARTS_WITH(CAST(v AS TEXT), $p1)
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM locale_starts_with_vi
    )
  );
