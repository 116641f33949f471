-- privacy export rec_served
SELECT
  *
FROM rec_served
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  served_at;
