-- segment personas persona_features_3_categories_and_other
SELECT
  profile_id,
  days_since_last_order,
  orders_count,
  revenue,
  COALESCE(LIST_SUM([c.quantity FOR c IN categories IF c.category = $c0]), 0) / total AS c0,
  COALESCE(LIST_SUM([c.quantity FOR c IN categories IF c.category = $c1]), 0) / total AS c1,
  COALESCE(LIST_SUM([c.quantity FOR c IN categories IF c.category = $c2]), 0) / total AS c2,
  COALESCE(
    LIST_SUM([c.quantity FOR c IN categories IF NOT ARRAY_CONTAINS($top, c.category)]),
    0
  ) / total AS other
FROM (
  SELECT
    *,
    GREATEST(COALESCE(LIST_SUM([c.quantity FOR c IN categories IF TRUE]), 0), 1e-9) AS total
  FROM persona_buyers
)
ORDER BY
  profile_id;
