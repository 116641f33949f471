-- privacy export suppressions
SELECT
  *
FROM suppressions
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  created_at;
