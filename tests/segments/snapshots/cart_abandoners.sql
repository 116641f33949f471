WITH c0 AS (
  SELECT e.profile_id FROM __EVENTS__ e WHERE e.profile_id IS NOT NULL AND e.event = $p1 AND e.timestamp >= CAST($now AS TIMESTAMPTZ) - to_seconds($p2) AND e.timestamp <= CAST($now AS TIMESTAMPTZ) - to_seconds($p4) AND NOT EXISTS (SELECT 1 FROM __EVENTS__ f WHERE f.profile_id = e.profile_id AND f.event = $p5 AND f.timestamp >= e.timestamp AND f.timestamp <= e.timestamp + to_seconds($p4))
  GROUP BY e.profile_id HAVING count(*) >= $p7
)
SELECT profile_id FROM profiles WHERE (profile_id IN (SELECT profile_id FROM c0)) __SCOPE__
-- params: {"now": null, "p1": "Product Added", "p2": 604800, "p3": 604800, "p4": 86400, "p5": "Order Completed", "p6": 86400, "p7": 1}
-- edge: SELECT DISTINCT e.profile_id FROM event_profiles e WHERE e.profile_id IS NOT NULL AND e.event = $p1 AND e.timestamp >= CAST($prev AS TIMESTAMPTZ) - to_seconds($p3) AND e.timestamp < CAST($now AS TIMESTAMPTZ) - to_seconds($p3)
-- edge: SELECT DISTINCT e.profile_id FROM event_profiles e WHERE e.profile_id IS NOT NULL AND e.event = $p1 AND e.timestamp > CAST($prev AS TIMESTAMPTZ) - to_seconds($p6) AND e.timestamp <= CAST($now AS TIMESTAMPTZ) - to_seconds($p6)
