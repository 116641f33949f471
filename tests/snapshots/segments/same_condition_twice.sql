-- segment same_condition_twice
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = 1
-- $p3 = "Order Completed"
-- $p4 = 1
WITH did_order_completed AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL AND e.event = $p1
  GROUP BY
    e.profile_id
  HAVING
    COUNT(*) >= $p2
), did_order_completed_2 AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL AND e.event = $p3
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
    (
      profile_id IN (
        SELECT
          profile_id
        FROM did_order_completed
      )
      OR NOT (
        profile_id IN (
          SELECT
            profile_id
          FROM did_order_completed_2
        )
      )
    )
  );
