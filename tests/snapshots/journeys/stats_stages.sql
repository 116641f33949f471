-- journeys stats_stages
SELECT
  st.stage,
  COUNT(DISTINCT st.run_id),
  COUNT(DISTINCT st.run_id) FILTER(WHERE
    NOT r.goal_at IS NULL)
FROM journey_steps AS st
JOIN journey_runs AS r
  USING (run_id)
WHERE
  st.journey_id = ? AND NOT st.stage IS NULL
GROUP BY ALL
ORDER BY
  2 DESC;
