-- segment trait_not_exists
-- $now = null
-- $p1 = "plan"
WITH plan_exists AS (
  SELECT
    profile_id
  FROM profile_traits
  WHERE
    name = $p1 AND NOT (
      value ->> '$'
    ) IS NULL
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
        FROM plan_exists
      )
    )
  );
