-- privacy export journey_runs
SELECT
  *
FROM journey_runs
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  entered_at;
