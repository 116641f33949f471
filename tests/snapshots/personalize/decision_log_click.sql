-- offers decision_log_click
SELECT
  context,
  offer_id,
  propensity,
  clicked
FROM decisions
WHERE
  placement = ? AND reason = 'policy'
ORDER BY
  decided_at,
  decision_id;
