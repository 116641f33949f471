-- segment special_identify
-- $now = null
-- $p1 = "identify"
-- $p2 = 1
WITH did_identify AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL AND e.type = $p1
  GROUP BY
    e.profile_id
  HAVING
    COUNT(*) >= $p2
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM did_identify
    )
  );
