-- journeys stats_totals
SELECT
  COUNT(*) AS entered,
  COUNT(*) FILTER(WHERE
    status = 'active') AS in_progress,
  COUNT(*) FILTER(WHERE
    holdout) AS holdout,
  COUNT(*) FILTER(WHERE
    NOT goal_at IS NULL) AS converted
FROM journey_runs
WHERE
  journey_id = ?;
