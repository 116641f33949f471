-- profiles search_count_one_word
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
      CONTAINS(search_text, $w0)
    )
)
SELECT
  COUNT(*) AS total
FROM hits;
