-- privacy export computed_traits
SELECT
  *
FROM computed_traits
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  name;
