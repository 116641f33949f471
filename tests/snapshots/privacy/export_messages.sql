-- privacy export messages
SELECT
  *
FROM messages
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  created_at;
