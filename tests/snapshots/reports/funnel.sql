-- report funnel
WITH ev AS (
  SELECT
    profile_id,
    timestamp,
    type,
    event
  FROM event_profiles
  WHERE
    NOT profile_id IS NULL AND timestamp >= $start AND timestamp < $end
), per_person AS (
  SELECT
    profile_id,
    CAST(NULL AS TEXT) AS grp,
    MIN(timestamp) FILTER(WHERE
      ARRAY_CONTAINS($s1_types, type)) AS t1,
    ARRAY_AGG(timestamp) FILTER(WHERE
      (
        type = 'track' AND ARRAY_CONTAINS($s2_events, event)
      )) AS h2,
    ARRAY_AGG(timestamp) FILTER(WHERE
      (
        type = 'track' AND ARRAY_CONTAINS($s3_events, event)
      )) AS h3,
    ARRAY_AGG(timestamp) FILTER(WHERE
      (
        type = 'track' AND ARRAY_CONTAINS($s4_events, event)
      )) AS h4
  FROM ev
  GROUP BY
    profile_id
), r1 AS (
  SELECT
    *
  FROM per_person
), r2 AS (
  SELECT
    *,
    LIST_MIN([x FOR x IN h2 IF x >= t1]) AS t2
  FROM r1
), r3 AS (
  SELECT
    *,
    LIST_MIN([x FOR x IN h3 IF x >= t2]) AS t3
  FROM r2
), r4 AS (
  SELECT
    *,
    LIST_MIN([x FOR x IN h4 IF x >= t3]) AS t4
  FROM r3
), r5 AS (
  SELECT
    *,
    LIST_SORT(LIST_DISTINCT([x FOR x IN h4 IF x >= t4]))[2] AS t5
  FROM r4
), stage_times AS (
  SELECT
    grp,
    UNNEST(
      [
        {'step': 1, 't': t1, 'prev': CAST(NULL AS TIMESTAMPTZ)},
        {'step': 2, 't': t2, 'prev': t1},
        {'step': 3, 't': t3, 'prev': t2},
        {'step': 4, 't': t4, 'prev': t3},
        {'step': 5, 't': t5, 'prev': t4}
      ],
      recursive := TRUE
    )
  FROM r5
  WHERE
    NOT t1 IS NULL
), per_stage AS (
  SELECT
    grp,
    step,
    COUNT(t) AS people,
    MEDIAN(EPOCH(t) - EPOCH(prev)) AS median_s
  FROM stage_times
  GROUP BY
    grp,
    step
)
SELECT
  grp AS "group",
  step,
  LIST_EXTRACT($names, step) AS stage,
  people,
  CAST(people AS DOUBLE) / NULLIF(LAG(people) OVER w, 0) AS conversion_from_previous,
  CAST(people AS DOUBLE) / NULLIF(FIRST_VALUE(people) OVER w, 0) AS conversion_from_first,
  LAG(people) OVER w - people AS drop_off,
  ROUND(median_s, 1) AS median_seconds_from_previous
FROM per_stage
WINDOW w AS (PARTITION BY grp ORDER BY step)
ORDER BY
  MAX(people) OVER (PARTITION BY grp) DESC,
  grp,
  step;
