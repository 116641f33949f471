-- segment context_eq_within
-- $now = null
-- $p1 = 2592000
-- $p2 = 2592000
-- $p3 = "Hanoi"
WITH city_is_hanoi_in_30d AS (
  SELECT
    profile_id
  FROM (
    SELECT
      e.profile_id,
      ARG_MAX(e.city, e.timestamp) AS v
    FROM event_profiles AS e
    WHERE
      NOT e.profile_id IS NULL
      AND NOT e.city IS NULL
      AND e.timestamp >= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p1)
    GROUP BY
      e.profile_id
  )
  WHERE
    v = $p3
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM city_is_hanoi_in_30d
    )
  );

-- edge 1: who may change between $prev and $now
SELECT DISTINCT
  e.profile_id
FROM event_profiles AS e
WHERE
  NOT e.profile_id IS NULL
  AND NOT e.city IS NULL
  AND e.timestamp >= CAST($prev AS TIMESTAMPTZ) - TO_SECONDS($p2)
  AND e.timestamp < CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p2);
