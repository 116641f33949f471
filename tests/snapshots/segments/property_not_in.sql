-- segment property_not_in
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = "$.\"category\""
-- $p3 = ["whisky", "gin"]
-- $p4 = 1
WITH did_order_completed_category_not_in_whisky_gin AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL
    AND e.event = $p1
    AND NOT ARRAY_CONTAINS($p3, (
      e.properties ->> $p2
    ))
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
      FROM did_order_completed_category_not_in_whisky_gin
    )
  );
