-- privacy export message_events
SELECT
  *
FROM message_events
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  happened_at;
