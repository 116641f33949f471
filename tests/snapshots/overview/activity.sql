-- overview activity
WITH ev AS (
  SELECT
    profile_id,
    timestamp
  FROM event_profiles
  WHERE
    NOT profile_id IS NULL AND timestamp >= $previous AND timestamp < $end
)
SELECT
  CAST(TIMEZONE($tz, timestamp) AS DATE) AS day,
  timestamp >= $start AS period,
  COUNT(*) AS events,
  COUNT(DISTINCT profile_id) AS active_people
FROM ev
GROUP BY
  GROUPING SETS (
    (
      day
    ),
    (
      period
    )
  );
