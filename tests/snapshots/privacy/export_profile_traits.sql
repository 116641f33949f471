-- privacy export profile_traits
SELECT
  *
FROM profile_traits
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  name;
