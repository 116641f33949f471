-- journeys update_runs
UPDATE journey_runs SET journey_id = u.journey_id, version = u.version, node_id = u.node_id, phase = u.phase, status = u.status, due_at = u.due_at, entered_at = u.entered_at, wait_since = u.wait_since, exited_at = u.exited_at, exit_reason = u.exit_reason, exit_node = u.exit_node, holdout = u.holdout, goal_until = u.goal_until, goal_at = u.goal_at, steps = u.steps, updated_at = CAST('2026-01-01T00:00:00+00:00' AS TIMESTAMPTZ)
FROM jr_upd AS u
WHERE
  journey_runs.run_id = u.run_id;
