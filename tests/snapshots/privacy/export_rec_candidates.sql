-- privacy export rec_candidates
SELECT
  *
FROM rec_candidates
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  rank;
