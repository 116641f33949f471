-- segment property_between
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = "$.\"revenue\""
-- $p3 = 10
-- $p4 = 20
-- $p5 = 1
WITH did_order_completed_revenue_between_10_and_20 AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL
    AND e.event = $p1
    AND TRY_CAST(e.properties ->> $p2 AS DOUBLE) BETWEEN $p3 AND $p4
  GROUP BY
    e.profile_id
  HAVING
    COUNT(*) >= $p5
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM did_order_completed_revenue_between_10_and_20
    )
  );
