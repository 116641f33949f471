-- journeys stats_engagement
SELECT
  e.status,
  COUNT(DISTINCT e.message_id)
FROM message_events AS e
JOIN messages AS m
  USING (message_id)
WHERE
  m.journey_id = ?
GROUP BY ALL;
