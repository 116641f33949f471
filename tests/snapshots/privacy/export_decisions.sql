-- privacy export decisions
SELECT
  *
FROM decisions
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  decided_at;
