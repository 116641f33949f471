-- journeys stats_goal_conversion
SELECT
  COUNT(*) FILTER(WHERE
    NOT holdout),
  COUNT(*) FILTER(WHERE
    NOT holdout AND NOT goal_at IS NULL),
  COUNT(*) FILTER(WHERE
    holdout),
  COUNT(*) FILTER(WHERE
    holdout AND NOT goal_at IS NULL),
  MEDIAN(EPOCH(goal_at) - EPOCH(entered_at)) FILTER(WHERE
    NOT holdout)
FROM journey_runs
WHERE
  journey_id = ? AND NOT goal_until IS NULL;
