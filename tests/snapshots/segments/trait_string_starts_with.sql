-- segment trait_string_starts_with
-- $now = null
-- $p1 = "plan"
-- $p2 = "pro"
WITH plan_starts_with_pro AS (
  SELECT
    profile_id
  FROM profile_traits
  WHERE
    name = $p1 AND STARTS_WITH(CAST((
      value ->> '$'
    ) AS TEXT), $p2)
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM plan_starts_with_pro
    )
  );
