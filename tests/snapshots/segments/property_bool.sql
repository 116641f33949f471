-- segment property_bool
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = "$.\"coupon\""
-- $p3 = "true"
-- $p4 = 1
WITH did_order_completed_coupon_is_true AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL AND e.event = $p1 AND LOWER(e.properties ->> $p2) = $p3
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
      FROM did_order_completed_coupon_is_true
    )
  );
