-- privacy export segment_members
SELECT
  *
FROM segment_members
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  segment_id;
