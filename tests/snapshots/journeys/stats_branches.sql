-- journeys stats_branches
SELECT
  st.node_id,
  st.outcome,
  COUNT(DISTINCT st.run_id),
  COUNT(DISTINCT st.run_id) FILTER(WHERE
    NOT r.goal_at IS NULL)
FROM journey_steps AS st
JOIN journey_runs AS r
  USING (run_id)
WHERE
  st.journey_id = ? AND NOT r.holdout AND NOT r.goal_until IS NULL
GROUP BY ALL
ORDER BY
  1,
  2;
