-- segment early_adopter_product
-- $now = null
-- $p1 = 7776000
-- $p2 = 1209600
-- $p3 = "$.products[*].product_id"
-- $p4 = "$.product_id"
WITH early_adopter_product AS (
  SELECT DISTINCT
    o.profile_id
  FROM (
    SELECT
      e.profile_id,
      e.timestamp,
      UNNEST(LIST_APPEND(e.properties ->> $p3, e.properties ->> $p4)) AS item
    FROM event_profiles AS e
    WHERE
      NOT e.profile_id IS NULL AND e.event = 'Order Completed'
  ) AS o
  JOIN (
    SELECT
      item,
      MIN(timestamp) AS launched
    FROM (
      SELECT
        timestamp,
        UNNEST(LIST_APPEND(properties ->> $p3, properties ->> $p4)) AS item
      FROM events
      WHERE
        event IN ('Product Viewed', 'Product Added', 'Order Completed')
    )
    WHERE
      NOT item IS NULL
    GROUP BY
      item
    HAVING
      MIN(timestamp) >= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p1)
  ) AS l
    USING (item)
  WHERE
    o.timestamp <= l.launched + TO_SECONDS($p2)
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM early_adopter_product
    )
  );
