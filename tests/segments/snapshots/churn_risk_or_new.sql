WITH c0 AS (
  SELECT profile_id FROM model_traits WHERE name = $p1 AND TRY_CAST((value->>'$') AS DOUBLE) >= $p2 __SCOPE__
),
c1 AS (
  SELECT profile_id FROM __COMPUTED__ WHERE true AND first_seen >= CAST($now AS TIMESTAMPTZ) - to_seconds($p3) __SCOPE__
),
c2 AS (
  SELECT profile_id FROM __COMPUTED__ WHERE true AND revenue >= (SELECT quantile_cont(revenue, $p6) FROM profile_computed WHERE true) __SCOPE__
)
SELECT profile_id FROM profiles WHERE ((profile_id IN (SELECT profile_id FROM c0) OR profile_id IN (SELECT profile_id FROM c1) OR profile_id IN (SELECT profile_id FROM c2))) __SCOPE__
-- params: {"now": null, "p1": "churn_risk", "p2": 0.7, "p3": 604800, "p4": 604800, "p5": "first_seen", "p6": 0.9}
-- edge: SELECT DISTINCT profile_id FROM computed_traits WHERE name = $p5 AND TRY_CAST(value->>'$' AS TIMESTAMPTZ) > CAST($prev AS TIMESTAMPTZ) - to_seconds($p4) AND TRY_CAST(value->>'$' AS TIMESTAMPTZ) <= CAST($now AS TIMESTAMPTZ) - to_seconds($p4)
