-- offers load_stats_click
SELECT
  offer_id,
  bucket,
  trials,
  clicks
FROM offer_stats
WHERE
  placement = ? AND ARRAY_CONTAINS(?, offer_id) AND bucket IN (?, ?);
