-- journeys stats_nodes_and_waiting
SELECT
  node_id,
  outcome,
  COUNT(DISTINCT run_id),
  COUNT(*)
FROM journey_steps
WHERE
  journey_id = ?
GROUP BY ALL
ORDER BY
  1,
  2;

SELECT
  node_id,
  COUNT(*)
FROM journey_runs
WHERE
  journey_id = ? AND status = 'active'
GROUP BY ALL;
