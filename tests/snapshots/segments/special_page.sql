-- segment special_page
-- $now = null
-- $p1 = "page"
-- $p2 = 86400
-- $p3 = 86400
-- $p4 = 1
WITH did_page_in_1d AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL
    AND e.type = $p1
    AND e.timestamp >= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p2)
  GROUP BY
    e.profile_id
  HAVING
    COUNT(*) >= $p4
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM did_page_in_1d
    )
  );

-- edge 1: who may change between $prev and $now
SELECT DISTINCT
  e.profile_id
FROM event_profiles AS e
WHERE
  NOT e.profile_id IS NULL
  AND e.type = $p1
  AND e.timestamp >= CAST($prev AS TIMESTAMPTZ) - TO_SECONDS($p3)
  AND e.timestamp < CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p3);
