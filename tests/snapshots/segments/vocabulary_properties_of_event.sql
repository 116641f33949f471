-- segments vocabulary_properties_of_event
WITH recent AS (
  SELECT
    properties
  FROM events
  WHERE
    event = ? AND JSON_TYPE(properties) = 'OBJECT'
  ORDER BY
    received_at DESC
  LIMIT 20000
), top AS (
  SELECT
    k.key AS key,
    JSON_TYPE(k.value) AS t
  FROM recent, JSON_EACH(properties) AS k
), items AS (
  SELECT
    'products[].' || k.key AS key,
    JSON_TYPE(k.value) AS t
  FROM recent, JSON_EACH(properties, '$.products') AS p, JSON_EACH(p.value) AS k
  WHERE
    JSON_TYPE(properties, '$.products') = 'ARRAY' AND JSON_TYPE(p.value) = 'OBJECT'
)
SELECT
  key,
  ARG_MAX(t, n)
FROM (
  SELECT
    key,
    t,
    COUNT(*) AS n
  FROM (
    SELECT
      *
    FROM top
    UNION ALL
    SELECT
      *
    FROM items
  )
  WHERE
    t <> 'NULL'
  GROUP BY ALL
)
GROUP BY
  key;
