-- privacy export model_traits
SELECT
  *
FROM model_traits
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  name;
