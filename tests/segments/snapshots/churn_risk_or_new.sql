WITH c0 AS (
  SELECT profile_id FROM __T_model_traits__ WHERE name = $p1 AND TRY_CAST((value->>'$') AS DOUBLE) >= $p2 __SCOPE__
),
c1 AS (
  SELECT profile_id FROM __T_computed_traits__ WHERE name = $p3 AND TRY_CAST(value->>'$' AS TIMESTAMPTZ) >= CAST($now AS TIMESTAMPTZ) - to_seconds($p4) __SCOPE__
),
c2 AS (
  SELECT profile_id FROM __T_computed_traits__ WHERE name = $p6 AND TRY_CAST(value->>'$' AS DOUBLE) >= (SELECT quantile_cont(TRY_CAST(value->>'$' AS DOUBLE), $p7) FROM computed_traits WHERE name = $p6) AND TRY_CAST(value->>'$' AS DOUBLE) > (SELECT min(TRY_CAST(value->>'$' AS DOUBLE)) FROM computed_traits WHERE name = $p6) __SCOPE__
)
SELECT profile_id FROM profiles WHERE ((profile_id IN (SELECT profile_id FROM c0) OR profile_id IN (SELECT profile_id FROM c1) OR profile_id IN (SELECT profile_id FROM c2))) __SCOPE__
-- params: {"now": null, "p1": "churn_risk", "p2": 0.7, "p3": "first_seen", "p4": 604800, "p5": 604800, "p6": "revenue", "p7": 0.9}
-- edge: SELECT DISTINCT profile_id FROM computed_traits WHERE name = $p3 AND TRY_CAST(value->>'$' AS TIMESTAMPTZ) >= CAST($prev AS TIMESTAMPTZ) - to_seconds($p5) AND TRY_CAST(value->>'$' AS TIMESTAMPTZ) < CAST($now AS TIMESTAMPTZ) - to_seconds($p5)
