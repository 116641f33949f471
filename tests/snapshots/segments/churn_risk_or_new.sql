-- segment churn_risk_or_new
-- $now = null
-- $p1 = "churn_risk"
-- $p2 = 0.7
-- $p3 = "first_seen"
-- $p4 = 604800
-- $p5 = 604800
-- $p6 = "revenue"
-- $p7 = 0.9
WITH churn_risk_gte_0_7 AS (
  SELECT
    profile_id
  FROM model_traits
  WHERE
    name = $p1 AND TRY_CAST((
      value ->> '$'
    ) AS DOUBLE) >= $p2
), first_seen_within_last_7d AS (
  SELECT
    profile_id
  FROM computed_traits
  WHERE
    name = $p3
    AND TRY_CAST(value ->> '$' AS TIMESTAMPTZ) >= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p4)
), revenue_top_percent_10 AS (
  SELECT
    profile_id
  FROM computed_traits
  WHERE
    name = $p6
    AND TRY_CAST(value ->> '$' AS DOUBLE) >= (
      SELECT
        QUANTILE_CONT(TRY_CAST(value ->> '$' AS DOUBLE), $p7)
      FROM computed_traits
      WHERE
        name = $p6
    )
    AND TRY_CAST(value ->> '$' AS DOUBLE) > (
      SELECT
        MIN(TRY_CAST(value ->> '$' AS DOUBLE))
      FROM computed_traits
      WHERE
        name = $p6
    )
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    (
      profile_id IN (
        SELECT
          profile_id
        FROM churn_risk_gte_0_7
      )
      OR profile_id IN (
        SELECT
          profile_id
        FROM first_seen_within_last_7d
      )
      OR profile_id IN (
        SELECT
          profile_id
        FROM revenue_top_percent_10
      )
    )
  );

-- edge 1: who may change between $prev and $now
SELECT DISTINCT
  profile_id
FROM computed_traits
WHERE
  name = $p3
  AND TRY_CAST(value ->> '$' AS TIMESTAMPTZ) >= CAST($prev AS TIMESTAMPTZ) - TO_SECONDS($p5)
  AND TRY_CAST(value ->> '$' AS TIMESTAMPTZ) < CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p5);
