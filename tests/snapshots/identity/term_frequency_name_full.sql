-- matching term_frequency_name_full
SELECT
  name_full,
  (
    GREATEST(COUNT(*) - 2, 0) + 2000 * CAST(0.0005 AS DOUBLE)
  ) / (
    GREATEST(1000 - 2, 0) + 2000
  ) AS tf_name_full
FROM match_records
WHERE
  NOT name_full IS NULL
GROUP BY
  1;
