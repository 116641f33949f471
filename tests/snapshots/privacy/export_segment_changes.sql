-- privacy export segment_changes
SELECT
  *
FROM segment_changes
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  change_id;
