-- segments vocabulary_load
SELECT
  column_name,
  data_type
FROM information_schema."columns"
WHERE
  table_name = 'profile_computed' AND column_name <> 'profile_id';

SELECT
  name,
  ARG_MAX(t, n)
FROM (
  SELECT
    name,
    JSON_TYPE(value) AS t,
    COUNT(*) AS n
  FROM model_traits
  WHERE
    JSON_TYPE(value) <> 'NULL'
  GROUP BY ALL
)
GROUP BY
  name;

SELECT
  COUNT(*) FILTER(WHERE
    NOT TRY_CAST(value ->> '$' AS TIMESTAMPTZ) IS NULL),
  COUNT(*)
FROM (
  SELECT
    value
  FROM model_traits
  WHERE
    name = ?
  LIMIT 100
);

SELECT
  name,
  ARG_MAX(t, n)
FROM (
  SELECT
    name,
    JSON_TYPE(value) AS t,
    COUNT(*) AS n
  FROM computed_traits
  WHERE
    JSON_TYPE(value) <> 'NULL'
  GROUP BY ALL
)
GROUP BY
  name;

SELECT
  name,
  ARG_MAX(t, n)
FROM (
  SELECT
    name,
    JSON_TYPE(value) AS t,
    COUNT(*) AS n
  FROM profile_traits
  WHERE
    JSON_TYPE(value) <> 'NULL'
  GROUP BY ALL
)
GROUP BY
  name;

SELECT DISTINCT
  event
FROM events
WHERE
  NOT event IS NULL;

SELECT DISTINCT
  id_type
FROM identities;
