-- matching workspace_raw
WITH t AS (
  SELECT
    profile_id,
    name,
    ARG_MAX(value, updated_at) ->> '$' AS v
  FROM profile_traits
  WHERE
    name IN (
      'full_name',
      'first_name',
      'last_name',
      'birth_date',
      'phone',
      'email',
      'address',
      'city'
    )
  GROUP BY ALL
), p AS (
  SELECT
    profile_id,
    MAX(v) FILTER(WHERE
      name = 'full_name') AS full_name,
    MAX(v) FILTER(WHERE
      name = 'first_name') AS first_name,
    MAX(v) FILTER(WHERE
      name = 'last_name') AS last_name,
    MAX(v) FILTER(WHERE
      name = 'birth_date') AS birth_date,
    MAX(v) FILTER(WHERE
      name = 'phone') AS phone_raw,
    MAX(v) FILTER(WHERE
      name = 'address') AS address,
    MAX(v) FILTER(WHERE
      name = 'city') AS city
  FROM t
  GROUP BY
    profile_id
), ids AS (
  SELECT
    profile_id,
    MIN(id_value) FILTER(WHERE
      id_type = 'phone') AS phone,
    MIN(id_value) FILTER(WHERE
      id_type = 'email') AS email
  FROM identities
  WHERE
    id_type IN ('phone', 'email')
  GROUP BY
    profile_id
)
SELECT
  p.profile_id AS unique_id,
  full_name,
  first_name,
  last_name,
  birth_date,
  COALESCE(n.e164, ids.phone) AS phone,
  ids.email,
  address,
  city
FROM p
JOIN profiles
  USING (profile_id)
LEFT JOIN ids
  USING (profile_id)
LEFT JOIN match_phone_norm AS n
  ON n.raw = p.phone_raw;
