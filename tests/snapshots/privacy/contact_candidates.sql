-- privacy contact candidates
SELECT DISTINCT
  c.id_type,
  c.raw
FROM (
  SELECT
    'email' AS id_type,
    (
      traits ->> '$.email'
    ) AS raw
  FROM events
  WHERE
    NOT (
      traits ->> '$.email'
    ) IS NULL
  UNION
  SELECT
    'email' AS id_type,
    (
      context ->> '$.traits.email'
    ) AS raw
  FROM events
  WHERE
    NOT (
      context ->> '$.traits.email'
    ) IS NULL
  UNION
  SELECT
    'email' AS id_type,
    (
      properties ->> '$.email'
    ) AS raw
  FROM events
  WHERE
    NOT (
      properties ->> '$.email'
    ) IS NULL
  UNION
  SELECT
    'phone' AS id_type,
    (
      traits ->> '$.phone'
    ) AS raw
  FROM events
  WHERE
    NOT (
      traits ->> '$.phone'
    ) IS NULL
  UNION
  SELECT
    'phone' AS id_type,
    (
      context ->> '$.traits.phone'
    ) AS raw
  FROM events
  WHERE
    NOT (
      context ->> '$.traits.phone'
    ) IS NULL
  UNION
  SELECT
    'phone' AS id_type,
    (
      properties ->> '$.phone'
    ) AS raw
  FROM events
  WHERE
    NOT (
      properties ->> '$.phone'
    ) IS NULL
) AS c
JOIN px_contact_keys AS k
  ON k.id_type = c.id_type
  AND LENGTH(c.raw) <= 256
  AND CONTAINS(
    CASE c.id_type
      WHEN 'email'
      THEN LOWER(c.raw)
      ELSE REGEXP_REPLACE(c.raw, '[^0-9]', '', 'g')
    END,
    k.k
  );
