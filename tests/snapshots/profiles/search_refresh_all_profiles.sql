-- profiles search_refresh_all_profiles
INSERT INTO profile_search
WITH people AS (
  SELECT
    profile_id
  FROM profiles
  WHERE
    TRUE
), told AS (
  SELECT
    profile_id,
    COALESCE(
      MAX(value ->> '$') FILTER(WHERE
        name IN ('name', 'full_name', 'fullName')),
      NULLIF(
        CONCAT_WS(
          ' ',
          MAX(value ->> '$') FILTER(WHERE
            name IN ('last_name', 'lastName')),
          MAX(value ->> '$') FILTER(WHERE
            name IN ('first_name', 'firstName'))
        ),
        ''
      )
    ) AS name,
    COALESCE(
      MAX(value ->> '$') FILTER(WHERE
        name IN ('city')),
      MAX(value ->> '$.city') FILTER(WHERE
        name IN ('address'))
    ) AS city,
    COALESCE(
      MAX(value ->> '$') FILTER(WHERE
        name IN ('country')),
      MAX(value ->> '$.country') FILTER(WHERE
        name IN ('address'))
    ) AS country
  FROM profile_traits
  WHERE
    TRUE
    AND name IN (
      'name',
      'full_name',
      'fullName',
      'first_name',
      'firstName',
      'last_name',
      'lastName',
      'city',
      'country',
      'address'
    )
  GROUP BY
    profile_id
), contacts AS (
  SELECT
    profile_id,
    ARG_MAX(id_value, last_seen) FILTER(WHERE
      id_type = 'email') AS email,
    ARG_MAX(id_value, last_seen) FILTER(WHERE
      id_type = 'phone') AS phone
  FROM identities
  WHERE
    TRUE AND id_type IN ('email', 'phone')
  GROUP BY
    profile_id
), activity AS (
  SELECT
    profile_id,
    MAX(TRY_CAST(value ->> '$' AS TIMESTAMPTZ)) FILTER(WHERE
      name = 'last_seen') AS last_seen,
    MAX(TRY_CAST(value ->> '$' AS BIGINT)) FILTER(WHERE
      name = 'orders_count') AS orders_count,
    MAX(TRY_CAST(value ->> '$' AS DOUBLE)) FILTER(WHERE
      name = 'revenue') AS revenue
  FROM computed_traits
  WHERE
    TRUE AND name IN ('last_seen', 'orders_count', 'revenue')
  GROUP BY
    profile_id
), joined AS (
  SELECT
    p.profile_id,
    t.name,
    c.email,
    c.phone,
    t.city,
    t.country,
    a.last_seen,
    a.orders_count,
    a.revenue,
    NULLIF(
      TRIM(
        REGEXP_REPLACE(
          LOWER(STRIP_ACCENTS(REPLACE(REPLACE(t.name, 'đ', 'd'), 'Đ', 'D'))),
          '[^a-z0-9]+',
          ' ',
          'g'
        )
      ),
      ''
    ) AS name_folded
  FROM people AS p
  LEFT JOIN told AS t
    USING (profile_id)
  LEFT JOIN contacts AS c
    USING (profile_id)
  LEFT JOIN activity AS a
    USING (profile_id)
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
  name_folded,
  ' ' || CONCAT_WS(
    ' ',
    name_folded,
    NULLIF(
      TRIM(
        REGEXP_REPLACE(
          LOWER(STRIP_ACCENTS(REPLACE(REPLACE(email, 'đ', 'd'), 'Đ', 'D'))),
          '[^a-z0-9]+',
          ' ',
          'g'
        )
      ),
      ''
    ),
    REGEXP_REPLACE(phone, '[^0-9]', '', 'g'),
    CASE WHEN STARTS_WITH(phone, '+84') THEN '0' || SUBSTRING(phone, 4) END
  ) || ' ' AS search_text
FROM joined;
