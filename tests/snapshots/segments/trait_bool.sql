-- segment trait_bool
-- $now = null
-- $p1 = "newsletter"
-- $p2 = "true"
WITH newsletter_is_true AS (
  SELECT
    profile_id
  FROM profile_traits
  WHERE
    name = $p1 AND LOWER((
      value ->> '$'
    )) = $p2
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM newsletter_is_true
    )
  );
