-- privacy export rec_profiles
SELECT
  *
FROM rec_profiles
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  country;
