-- segment event_count_between
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = 2.0
-- $p3 = 5.0
WITH did_order_completed_count_between_2_and_5 AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL AND e.event = $p1
  GROUP BY
    e.profile_id
  HAVING
    COUNT(*) BETWEEN $p2 AND $p3
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM did_order_completed_count_between_2_and_5
    )
  );
