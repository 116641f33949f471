-- privacy export static_lists
SELECT
  *
FROM static_lists
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  list_name;
