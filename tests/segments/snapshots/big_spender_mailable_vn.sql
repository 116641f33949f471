WITH c0 AS (
  SELECT e.profile_id FROM __EVENTS__ e WHERE e.profile_id IS NOT NULL AND e.event = $p1 AND e.timestamp >= CAST($now AS TIMESTAMPTZ) - to_seconds($p2)
  GROUP BY e.profile_id HAVING coalesce(sum(TRY_CAST(json_extract_string(e.properties, $p4) AS DOUBLE)), 0) >= $p5
),
c1 AS (
  SELECT profile_id FROM __T_consents__ WHERE purpose = $p6 AND granted __SCOPE__
),
c2 AS (
  SELECT profile_id FROM (SELECT e.profile_id, arg_max(e.country, e.timestamp) AS v FROM __EVENTS__ e WHERE e.profile_id IS NOT NULL AND e.country IS NOT NULL GROUP BY e.profile_id) WHERE list_contains($p7, v)
),
c3 AS (
  SELECT profile_id FROM __T_profile_traits__ WHERE name = $p8 AND (value->>'$') = $p9 __SCOPE__
)
SELECT profile_id FROM profiles WHERE ((profile_id IN (SELECT profile_id FROM c0) AND profile_id IN (SELECT profile_id FROM c1) AND profile_id IN (SELECT profile_id FROM c2) AND NOT (profile_id IN (SELECT profile_id FROM c3)))) __SCOPE__
-- params: {"now": null, "p1": "Order Completed", "p2": 7776000, "p3": 7776000, "p4": "$.\"revenue\"", "p5": 5000000.0, "p6": "email", "p7": ["VN"], "p8": "plan", "p9": "free"}
-- edge: SELECT DISTINCT e.profile_id FROM event_profiles e WHERE e.profile_id IS NOT NULL AND e.event = $p1 AND e.timestamp >= CAST($prev AS TIMESTAMPTZ) - to_seconds($p3) AND e.timestamp < CAST($now AS TIMESTAMPTZ) - to_seconds($p3)
