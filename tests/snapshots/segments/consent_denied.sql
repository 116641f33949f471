-- segment consent_denied
-- $now = null
-- $p1 = "sms"
WITH consent_sms_denied AS (
  SELECT
    profile_id
  FROM consents
  WHERE
    purpose = $p1 AND NOT granted
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM consent_sms_denied
    )
  );
