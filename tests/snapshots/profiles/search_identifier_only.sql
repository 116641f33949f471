-- profiles search_identifier_only
WITH exact AS (
  SELECT DISTINCT
    profile_id
  FROM identities
  WHERE
    id_value IN (
      SELECT
        UNNEST($ids)
    )
), hits AS (
  SELECT
    s.*,
    NOT e.profile_id IS NULL AS by_id,
    CASE
      WHEN NOT e.profile_id IS NULL
      THEN 0
      WHEN s.name_folded = $folded
      THEN 1
      WHEN STARTS_WITH(s.name_folded, $folded)
      THEN 2
      ELSE 3
    END AS rank
  FROM profile_search AS s
  LEFT JOIN exact AS e
    USING (profile_id)
  WHERE
    NOT e.profile_id IS NULL OR (
      FALSE
    )
)
SELECT
  profile_id,
  name,
  email,
  phone,
  city,
  country,
  last_seen,
  orders_count,
  revenue,
  by_id,
  COUNT(*) OVER () AS total
FROM hits
ORDER BY
  rank,
  last_seen DESC,
  profile_id
LIMIT $limit
OFFSET $offset;
