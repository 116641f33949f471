-- segment property_not_exists
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = "$.\"category\""
-- $p3 = 1
WITH did_order_completed_category_not_exists AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL AND e.event = $p1 AND (
      e.properties ->> $p2
    ) IS NULL
  GROUP BY
    e.profile_id
  HAVING
    COUNT(*) >= $p3
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM did_order_completed_category_not_exists
    )
  );
