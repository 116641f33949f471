-- segment trait_string_contains
-- $now = null
-- $p1 = "plan"
-- $p2 = "pro"
WITH plan_contains_pro AS (
  SELECT
    profile_id
  FROM profile_traits
  WHERE
    name = $p1 AND CONTAINS(LOWER(CAST((
      value ->> '$'
    ) AS TEXT)), $p2)
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM plan_contains_pro
    )
  );
