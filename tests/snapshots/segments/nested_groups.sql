-- segment nested_groups
-- $now = null
-- $p1 = "seg_vip"
-- $p2 = "email"
-- $p3 = "phone"
-- $p4 = "TH"
WITH in_segment_vip AS (
  SELECT
    profile_id
  FROM segment_members
  WHERE
    segment_id = $p1
), consent_email_denied AS (
  SELECT
    profile_id
  FROM consents
  WHERE
    purpose = $p2 AND NOT granted
), has_phone AS (
  SELECT
    profile_id
  FROM identities
  WHERE
    id_type = $p3
), country_is_th AS (
  SELECT
    profile_id
  FROM (
    SELECT
      e.profile_id,
      ARG_MAX(e.country, e.timestamp) AS v
    FROM event_profiles AS e
    WHERE
      NOT e.profile_id IS NULL AND NOT e.country IS NULL
    GROUP BY
      e.profile_id
  )
  WHERE
    v = $p4
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    (
      (
        profile_id IN (
          SELECT
            profile_id
          FROM in_segment_vip
        )
        AND NOT (
          profile_id IN (
            SELECT
              profile_id
            FROM consent_email_denied
          )
        )
      )
      OR NOT (
        (
          profile_id IN (
            SELECT
              profile_id
            FROM has_phone
          )
          OR profile_id IN (
            SELECT
              profile_id
            FROM country_is_th
          )
        )
      )
    )
  );
