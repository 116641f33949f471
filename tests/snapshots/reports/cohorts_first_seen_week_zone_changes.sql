-- report cohorts_first_seen_week_zone_changes
WITH ev AS (
  SELECT
    profile_id,
    timestamp
  FROM event_profiles
  WHERE
    NOT profile_id IS NULL
    AND timestamp < $horizon
    AND profile_id IN (
      SELECT
        profile_id
      FROM segment_members
      WHERE
        segment_id = $segment
    )
), acts AS (
  SELECT
    profile_id,
    timestamp AS ts
  FROM ev
), firsts AS (
  SELECT
    profile_id,
    MIN(ts) AS first_ts
  FROM acts
  GROUP BY
    profile_id
  HAVING
    MIN(ts) >= $start AND MIN(ts) < $end
), cohort AS (
  SELECT
    profile_id,
    CAST(DATE_TRUNC('WEEK', TIMEZONE($tz, first_ts)) AS DATE) AS c
  FROM firsts
), masks AS (
  SELECT
    p.profile_id,
    p.c,
    BIT_OR(CASE WHEN p.k < $periods THEN CAST(1 AS BIGINT) << p.k END) AS mask
  FROM (
    SELECT
      a.profile_id,
      c.c,
      DATE_DIFF('WEEK', c.c, CAST(DATE_TRUNC('WEEK', TIMEZONE($tz, a.ts)) AS DATE)) AS k
    FROM acts AS a
    JOIN cohort AS c
      USING (profile_id)
    WHERE
      a.ts >= $start
  ) AS p
  GROUP BY
    p.profile_id,
    p.c
), lists AS (
  SELECT
    c,
    COUNT(*) AS size,
    [
      CASE
        WHEN c + INTERVAL '0' WEEK > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 1 <> 0)
      END,
      CASE
        WHEN c + INTERVAL '1' WEEK > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 2 <> 0)
      END,
      CASE
        WHEN c + INTERVAL '2' WEEK > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 4 <> 0)
      END,
      CASE
        WHEN c + INTERVAL '3' WEEK > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 8 <> 0)
      END,
      CASE
        WHEN c + INTERVAL '4' WEEK > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 16 <> 0)
      END,
      CASE
        WHEN c + INTERVAL '5' WEEK > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 32 <> 0)
      END,
      CASE
        WHEN c + INTERVAL '6' WEEK > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 64 <> 0)
      END,
      CASE
        WHEN c + INTERVAL '7' WEEK > $today
        THEN NULL
        ELSE COUNT(*) FILTER(WHERE
          mask & 128 <> 0)
      END
    ] AS active
  FROM masks
  GROUP BY
    c
)
SELECT
  c AS cohort,
  size,
  active,
  [CAST(x AS DOUBLE) / size FOR x IN active] AS retention
FROM lists
ORDER BY
  cohort;
