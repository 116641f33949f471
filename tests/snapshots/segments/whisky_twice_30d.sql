-- segment whisky_twice_30d
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = "$.\"category\""
-- $p3 = "whisky"
-- $p4 = 2592000
-- $p5 = 2592000
-- $p6 = 2.0
WITH did_order_completed_in_30d_category_is_whisky_count_gte_2 AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL
    AND e.event = $p1
    AND (
      e.properties ->> $p2
    ) = $p3
    AND e.timestamp >= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p4)
  GROUP BY
    e.profile_id
  HAVING
    COUNT(*) >= $p6
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM did_order_completed_in_30d_category_is_whisky_count_gte_2
    )
  );

-- edge 1: who may change between $prev and $now
SELECT DISTINCT
  e.profile_id
FROM event_profiles AS e
WHERE
  NOT e.profile_id IS NULL
  AND e.event = $p1
  AND (
    e.properties ->> $p2
  ) = $p3
  AND e.timestamp >= CAST($prev AS TIMESTAMPTZ) - TO_SECONDS($p5)
  AND e.timestamp < CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p5);
