-- privacy export identities
SELECT
  *
FROM identities
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
  OR (id_type, id_value) IN (
    SELECT
      id_type,
      id_value
    FROM px_ids
  )
ORDER BY
  id_type,
  id_value;
