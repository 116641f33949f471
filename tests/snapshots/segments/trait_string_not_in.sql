-- segment trait_string_not_in
-- $now = null
-- $p1 = "plan"
-- $p2 = ["free", "trial"]
WITH plan_not_in_free_trial AS (
  SELECT
    profile_id
  FROM profile_traits
  WHERE
    name = $p1 AND NOT ARRAY_CONTAINS($p2, (
      value ->> '$'
    ))
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM plan_not_in_free_trial
    )
  );
