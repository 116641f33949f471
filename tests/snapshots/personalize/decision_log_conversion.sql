-- offers decision_log_conversion
SELECT
  context,
  offer_id,
  propensity,
  converted
FROM decisions
WHERE
  placement = ? AND reason = 'policy'
ORDER BY
  decided_at,
  decision_id;
