-- segment event_count_eq_0
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = 1209600
-- $p3 = 1209600
-- $p4 = 0.0
WITH not_did_order_completed_in_14d_count_eq_0 AS (
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
      COUNT(*) = $p4
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
        FROM not_did_order_completed_in_14d_count_eq_0
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
