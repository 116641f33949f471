-- matching term_frequency_name_tail
SELECT
  name_tail,
  (
    GREATEST(COUNT(*) - 2, 0) + 2000 * CAST(0.02 AS DOUBLE)
  ) / (
    GREATEST(1000 - 2, 0) + 2000
  ) AS tf_name_tail
FROM match_records
WHERE
  NOT name_tail IS NULL
GROUP BY
  1;
