-- segment event_window_from_to
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = "2026-01-01 00:00:00+00:00"
-- $p3 = "2026-02-01 00:00:00+00:00"
-- $p4 = 1
WITH did_order_completed_in_range AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL
    AND e.event = $p1
    AND e.timestamp >= $p2
    AND e.timestamp < $p3
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
      FROM did_order_completed_in_range
    )
  );
