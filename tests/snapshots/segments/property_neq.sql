-- segment property_neq
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = "$.\"category\""
-- $p3 = "whisky"
-- $p4 = 1
WITH did_order_completed_category_is_not_whisky AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL AND e.event = $p1 AND (
      e.properties ->> $p2
    ) <> $p3
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
      FROM did_order_completed_category_is_not_whisky
    )
  );
