-- privacy export identity_blocks
SELECT
  *
FROM identity_blocks
WHERE
  (a_type, a_value) IN (
    SELECT
      id_type,
      id_value
    FROM px_ids
  )
  OR (b_type, b_value) IN (
    SELECT
      id_type,
      id_value
    FROM px_ids
  )
ORDER BY
  created_at;
