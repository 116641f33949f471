-- offers load_stats_conversion
SELECT
  offer_id,
  bucket,
  trials,
  conversions
FROM offer_stats
WHERE
  placement = ? AND ARRAY_CONTAINS(?, offer_id) AND bucket IN (?, ?);
