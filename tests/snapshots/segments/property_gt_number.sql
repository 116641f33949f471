-- segment property_gt_number
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = "$.\"revenue\""
-- $p3 = 100000
-- $p4 = 1
WITH did_order_completed_revenue_gt_100000 AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL
    AND e.event = $p1
    AND TRY_CAST(e.properties ->> $p2 AS DOUBLE) > $p3
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
      FROM did_order_completed_revenue_gt_100000
    )
  );
