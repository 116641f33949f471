-- overview model_status
SELECT
  model,
  ARG_MAX(status, (trained_at, version)) AS status,
  MAX(trained_at) AS trained_at,
  ARG_MAX(message, (trained_at, version)) AS message,
  MAX(version) FILTER(WHERE
    status = 'active') AS active_version
FROM models
GROUP BY
  model;
