-- privacy export identity_conflicts
SELECT
  *
FROM identity_conflicts
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
  OR other_profile_id IN (
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
  first_seen;
