-- overview journey_counts
SELECT
  COUNT(*) FILTER(WHERE
    status = 'published') AS active,
  COUNT(*) FILTER(WHERE
    status = 'paused') AS paused,
  COUNT(*) FILTER(WHERE
    status = 'draft') AS draft,
  (
    SELECT
      COUNT(*)
    FROM journey_runs
    WHERE
      status = 'active'
  ) AS people_in_progress
FROM journeys;
