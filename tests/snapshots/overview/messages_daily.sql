-- overview messages_daily
SELECT
  CAST(TIMEZONE($tz, COALESCE(sent_at, updated_at)) AS DATE) AS day,
  COALESCE(sent_at, updated_at) >= $start AS period,
  COUNT(*) FILTER(WHERE
    NOT sent_at IS NULL) AS sent,
  COUNT(*) FILTER(WHERE
    sent_at IS NULL AND status = 'suppressed') AS suppressed,
  COUNT(*) FILTER(WHERE
    sent_at IS NULL AND status IN ('failed', 'dead')) AS failed
FROM messages
WHERE
  COALESCE(sent_at, updated_at) >= $previous
  AND COALESCE(sent_at, updated_at) < $end
GROUP BY
  GROUPING SETS (
    (
      day
    ),
    (
      period
    )
  );
