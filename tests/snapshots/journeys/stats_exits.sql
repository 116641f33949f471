-- journeys stats_exits
SELECT
  exit_reason,
  COUNT(*)
FROM journey_runs
WHERE
  journey_id = ? AND status = 'done'
GROUP BY ALL
ORDER BY
  2 DESC;
