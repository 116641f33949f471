WITH c0 AS (
  SELECT e.profile_id FROM __EVENTS__ e WHERE e.profile_id IS NOT NULL AND e.event = $p1 AND json_extract_string(e.properties, $p2) = $p3 AND e.timestamp >= CAST($now AS TIMESTAMPTZ) - to_seconds($p4)
  GROUP BY e.profile_id HAVING count(*) >= $p6
)
SELECT profile_id FROM profiles WHERE (profile_id IN (SELECT profile_id FROM c0)) __SCOPE__
-- params: {"now": null, "p1": "Order Completed", "p2": "$.\"category\"", "p3": "whisky", "p4": 2592000, "p5": 2592000, "p6": 2.0}
-- edge: SELECT DISTINCT e.profile_id FROM event_profiles e WHERE e.profile_id IS NOT NULL AND e.event = $p1 AND json_extract_string(e.properties, $p2) = $p3 AND e.timestamp >= CAST($prev AS TIMESTAMPTZ) - to_seconds($p5) AND e.timestamp < CAST($now AS TIMESTAMPTZ) - to_seconds($p5)
