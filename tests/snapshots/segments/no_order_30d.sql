-- segment no_order_30d
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = 2592000
-- $p3 = 2592000
-- $p4 = 1.0
WITH not_did_order_completed_in_30d_count_lt_1 AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL
    AND e.event = $p1
    AND e.timestamp >= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p2)
  GROUP BY
    e.profile_id
  HAVING
    NOT (
      COUNT(*) < $p4
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
        FROM not_did_order_completed_in_30d_count_lt_1
      )
    )
  );

-- edge 1: who may change between $prev and $now
SELECT DISTINCT
  e.profile_id
FROM event_profiles AS e
WHERE
  NOT e.profile_id IS NULL
  AND e.event = $p1
  AND e.timestamp >= CAST($prev AS TIMESTAMPTZ) - TO_SECONDS($p3)
  AND e.timestamp < CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p3);
