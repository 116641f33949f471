-- segment trait_number_in
-- $now = null
-- $p1 = "revenue"
-- $p2 = [1, 2]
WITH revenue_in_1_2 AS (
  SELECT
    profile_id
  FROM computed_traits
  WHERE
    name = $p1 AND ARRAY_CONTAINS($p2, TRY_CAST(value ->> '$' AS DOUBLE))
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM revenue_in_1_2
    )
  );
