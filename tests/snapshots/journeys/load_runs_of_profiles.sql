-- journeys load_runs_of_profiles
SELECT
  r.run_id,
  r.journey_id,
  r.version,
  r.profile_id,
  r.node_id,
  r.phase,
  r.status,
  EPOCH_US(r.due_at),
  EPOCH_US(r.entered_at),
  EPOCH_US(r.wait_since),
  EPOCH_US(r.exited_at),
  r.exit_reason,
  r.exit_node,
  r.holdout,
  EPOCH_US(r.goal_until),
  EPOCH_US(r.goal_at),
  r.steps
FROM journey_runs AS r
WHERE
  r.profile_id IN (
    SELECT
      UNNEST(CAST($ids AS TEXT[]))
  );
