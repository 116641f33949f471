-- matching term_frequency_name_family
SELECT
  name_family,
  (
    GREATEST(COUNT(*) - 2, 0) + 2000 * CAST(0.15 AS DOUBLE)
  ) / (
    GREATEST(1000 - 2, 0) + 2000
  ) AS tf_name_family
FROM match_records
WHERE
  NOT name_family IS NULL
GROUP BY
  1;
