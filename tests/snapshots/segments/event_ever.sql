-- segment event_ever
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = 1
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
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM did_order_completed
    )
  );
