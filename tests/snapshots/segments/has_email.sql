-- segment has_email
-- $now = null
-- $p1 = "email"
WITH has_email AS (
  SELECT
    profile_id
  FROM identities
  WHERE
    id_type = $p1
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM has_email
    )
  );
