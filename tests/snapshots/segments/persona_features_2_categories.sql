-- segment personas persona_features_2_categories
SELECT
  profile_id,
  days_since_last_order,
  orders_count,
  revenue,
  COALESCE(LIST_SUM([c.quantity FOR c IN categories IF c.category = $c0]), 0) / total AS c0,
  COALESCE(LIST_SUM([c.quantity FOR c IN categories IF c.category = $c1]), 0) / total AS c1
FROM (
  SELECT
    *,
    GREATEST(COALESCE(LIST_SUM([c.quantity FOR c IN categories IF TRUE]), 0), 1e-9) AS total
  FROM persona_buyers
)
ORDER BY
  profile_id;
