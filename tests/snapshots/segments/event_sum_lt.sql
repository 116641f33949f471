-- segment event_sum_lt
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = "$.\"revenue\""
-- $p3 = 100000.0
WITH not_did_order_completed_sum_revenue_lt_100000 AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL AND e.event = $p1
  GROUP BY
    e.profile_id
  HAVING
    NOT (
      COALESCE(SUM(TRY_CAST(e.properties ->> $p2 AS DOUBLE)), 0) < $p3
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
        FROM not_did_order_completed_sum_revenue_lt_100000
      )
    )
  );
