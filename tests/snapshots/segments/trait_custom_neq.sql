-- segment trait_custom_neq
-- $now = null
-- $p1 = "favourite"
-- $p2 = "gin"
WITH favourite_is_not_gin AS (
  SELECT
    profile_id
  FROM computed_traits
  WHERE
    name = $p1 AND (
      value ->> '$'
    ) <> $p2
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM favourite_is_not_gin
    )
  );
