-- segment trait_exists
-- $now = null
-- $p1 = "revenue"
WITH revenue_exists AS (
  SELECT
    profile_id
  FROM computed_traits
  WHERE
    name = $p1 AND NOT TRY_CAST(value ->> '$' AS DOUBLE) IS NULL
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM revenue_exists
    )
  );
