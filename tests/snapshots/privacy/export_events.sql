-- privacy export events
SELECT
  *
FROM events
WHERE
  event_key IN (
    SELECT
      event_key
    FROM px_events
  )
ORDER BY
  timestamp;
