-- journeys stats_messages
SELECT
  channel,
  status,
  COUNT(*)
FROM messages
WHERE
  journey_id = ?
GROUP BY ALL;
