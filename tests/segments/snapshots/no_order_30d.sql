WITH c0 AS (
  SELECT e.profile_id FROM __EVENTS__ e WHERE e.profile_id IS NOT NULL AND e.event = $p1 AND e.timestamp >= CAST($now AS TIMESTAMPTZ) - to_seconds($p2)
  GROUP BY e.profile_id HAVING NOT (count(*) < $p4)
)
SELECT profile_id FROM profiles WHERE (NOT (profile_id IN (SELECT profile_id FROM c0))) __SCOPE__
-- params: {"now": null, "p1": "Order Completed", "p2": 2592000, "p3": 2592000, "p4": 1.0}
-- edge: SELECT DISTINCT e.profile_id FROM event_profiles e WHERE e.profile_id IS NOT NULL AND e.event = $p1 AND e.timestamp >= CAST($prev AS TIMESTAMPTZ) - to_seconds($p3) AND e.timestamp < CAST($now AS TIMESTAMPTZ) - to_seconds($p3)
