-- segment trait_time_before_last
-- $now = null
-- $p1 = "first_seen"
-- $p2 = 7776000
-- $p3 = 7776000
WITH first_seen_before_last_90d AS (
  SELECT
    profile_id
  FROM computed_traits
  WHERE
    name = $p1
    AND TRY_CAST(value ->> '$' AS TIMESTAMPTZ) < CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p2)
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM first_seen_before_last_90d
    )
  );

-- edge 1: who may change between $prev and $now
SELECT DISTINCT
  profile_id
FROM computed_traits
WHERE
  name = $p1
  AND TRY_CAST(value ->> '$' AS TIMESTAMPTZ) >= CAST($prev AS TIMESTAMPTZ) - TO_SECONDS($p3)
  AND TRY_CAST(value ->> '$' AS TIMESTAMPTZ) < CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p3);
