-- segment trait_time_before
-- $now = null
-- $p1 = "first_seen"
-- $p2 = "2026-01-01 08:00:00+07:00"
WITH first_seen_before_2026_01_01 AS (
  SELECT
    profile_id
  FROM computed_traits
  WHERE
    name = $p1 AND TRY_CAST(value ->> '$' AS TIMESTAMPTZ) < $p2
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM first_seen_before_2026_01_01
    )
  );
