-- segment event_not_followed_by_where
-- $now = null
-- $p1 = "Product Added"
-- $p2 = 7200
-- $p3 = "Order Completed"
-- $p4 = "$.\"category\""
-- $p5 = "shoes"
-- $p6 = 7200
-- $p7 = 1
WITH did_product_added_not_followed_by_order_completed AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL
    AND e.event = $p1
    AND e.timestamp <= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p2)
    AND NOT EXISTS(
      SELECT
        1
      FROM event_profiles AS f
      WHERE
        f.profile_id = e.profile_id
        AND f.event = $p3
        AND (
          f.properties ->> $p4
        ) = $p5
        AND f.timestamp >= e.timestamp
        AND f.timestamp <= e.timestamp + TO_SECONDS($p2)
    )
  GROUP BY
    e.profile_id
  HAVING
    COUNT(*) >= $p7
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM did_product_added_not_followed_by_order_completed
    )
  );

-- edge 1: who may change between $prev and $now
SELECT DISTINCT
  e.profile_id
FROM event_profiles AS e
WHERE
  NOT e.profile_id IS NULL
  AND e.event = $p1
  AND e.timestamp > CAST($prev AS TIMESTAMPTZ) - TO_SECONDS($p6)
  AND e.timestamp <= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p6);
