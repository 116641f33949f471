-- segment trait_number_between
-- $now = null
-- $p1 = "revenue"
-- $p2 = 100
-- $p3 = 200
WITH revenue_between_100_and_200 AS (
  SELECT
    profile_id
  FROM computed_traits
  WHERE
    name = $p1 AND TRY_CAST(value ->> '$' AS DOUBLE) BETWEEN $p2 AND $p3
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM revenue_between_100_and_200
    )
  );
