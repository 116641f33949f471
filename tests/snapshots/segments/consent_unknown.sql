-- segment consent_unknown
-- $now = null
-- $p1 = "push"
WITH consent_push_recorded AS (
  SELECT
    profile_id
  FROM consents
  WHERE
    purpose = $p1
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
        FROM consent_push_recorded
      )
    )
  );
