-- segment trait_model_lt
-- $now = null
-- $p1 = "churn_risk"
-- $p2 = 0.2
WITH churn_risk_lt_0_2 AS (
  SELECT
    profile_id
  FROM model_traits
  WHERE
    name = $p1 AND TRY_CAST((
      value ->> '$'
    ) AS DOUBLE) < $p2
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM churn_risk_lt_0_2
    )
  );
