-- privacy export audience_sync_members
SELECT
  *
FROM audience_sync_members
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  key_type;
