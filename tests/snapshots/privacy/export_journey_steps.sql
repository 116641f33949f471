-- privacy export journey_steps
SELECT
  *
FROM journey_steps
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  happened_at;
