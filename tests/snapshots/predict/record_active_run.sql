-- models record_active_run
UPDATE models SET status = 'superseded'
WHERE
  model = ? AND status = 'active';

INSERT INTO models (
  model,
  version,
  status,
  trained_at,
  rows,
  params,
  metrics,
  message,
  as_of
)
VALUES
  (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(model, version) DO UPDATE SET status = excluded.status, trained_at = excluded.trained_at, rows = excluded.rows, params = excluded.params, metrics = excluded.metrics, message = excluded.message, as_of = excluded.as_of;
