-- privacy export identity_links
SELECT
  *
FROM identity_links
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
