-- matching records_of_workspace
WITH f AS (
  SELECT
    unique_id,
    NULLIF(
      TRIM(
        REGEXP_REPLACE(
          LOWER(
            STRIP_ACCENTS(
              REPLACE(
                REPLACE(
                  COALESCE(
                    NULLIF(TRIM(full_name), ''),
                    NULLIF(CONCAT_WS(' ', NULLIF(TRIM(last_name), ''), NULLIF(TRIM(first_name), '')), '')
                  ),
                  'đ',
                  'd'
                ),
                'Đ',
                'D'
              )
            )
          ),
          '[^a-z0-9]+',
          ' ',
          'g'
        )
      ),
      ''
    ) AS name_full,
    CAST(COALESCE(
      TRY_STRPTIME(TRIM(birth_date), '%Y-%m-%d'),
      TRY_STRPTIME(TRIM(birth_date), '%d/%m/%Y'),
      TRY_STRPTIME(TRIM(birth_date), '%d-%m-%Y'),
      TRY_STRPTIME(TRIM(birth_date), '%Y/%m/%d'),
      TRY_STRPTIME(TRIM(birth_date), '%Y%m%d'),
      TRY_STRPTIME(TRIM(birth_date), '%d.%m.%Y')
    ) AS DATE) AS dob,
    NULLIF(TRIM(phone), '') AS phone,
    NULLIF(TRIM(email), '') AS email,
    NULLIF(
      TRIM(
        REGEXP_REPLACE(
          REGEXP_REPLACE(
            REGEXP_REPLACE(
              REGEXP_REPLACE(
                REGEXP_REPLACE(
                  REGEXP_REPLACE(
                    NULLIF(
                      TRIM(
                        REGEXP_REPLACE(
                          LOWER(STRIP_ACCENTS(REPLACE(REPLACE(address, 'đ', 'd'), 'Đ', 'D'))),
                          '[^a-z0-9]+',
                          ' ',
                          'g'
                        )
                      ),
                      ''
                    ),
                    '\bq (\d+)\b',
                    'quan \1',
                    'g'
                  ),
                  '\bq(\d+)\b',
                  'quan \1',
                  'g'
                ),
                '\bp (\d+)\b',
                'phuong \1',
                'g'
              ),
              '\bp(\d+)\b',
              'phuong \1',
              'g'
            ),
            '\b(so|duong|d) ',
            '',
            'g'
          ),
          '\b(tp|thanh pho) ',
          '',
          'g'
        )
      ),
      ''
    ) AS address,
    REGEXP_REPLACE(
      REPLACE(
        NULLIF(
          TRIM(
            REGEXP_REPLACE(
              LOWER(STRIP_ACCENTS(REPLACE(REPLACE(city, 'đ', 'd'), 'Đ', 'D'))),
              '[^a-z0-9]+',
              ' ',
              'g'
            )
          ),
          ''
        ),
        ' ',
        ''
      ),
      '^(thanhpho|tp|tinh)(.)',
      '\2'
    ) AS city_c
  FROM (
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
      ON n.raw = p.phone_raw
  ) AS match_raw
)
SELECT
  unique_id,
  name_full,
  SPLIT_PART(name_full, ' ', 1) AS name_family,
  NULLIF(TRIM(SUBSTRING(name_full, LENGTH(SPLIT_PART(name_full, ' ', 1)) + 1)), '') AS name_given,
  REGEXP_EXTRACT(name_full, '(\S+)$', 1) AS name_tail,
  dob,
  STRFTIME(dob, '%Y-%m-%d') AS dob_str,
  YEAR(dob) AS birth_year,
  phone,
  email,
  SPLIT_PART(email, '@', 1) AS email_local,
  address,
  NULLIF(REGEXP_EXTRACT(address, '^([0-9][a-z0-9]*)', 1), '') AS house_number,
  CASE
    WHEN city_c IN ('hcm', 'hcmc', 'tphcm', 'saigon', 'hochiminh', 'hochiminhcity')
    THEN 'hochiminh'
    WHEN city_c IN ('hn', 'hanoi', 'tphn')
    THEN 'hanoi'
    WHEN city_c IN ('danang')
    THEN 'danang'
    WHEN city_c IN ('haiphong', 'hp')
    THEN 'haiphong'
    WHEN city_c IN ('cantho')
    THEN 'cantho'
    ELSE city_c
  END AS city
FROM f
WHERE
  NOT name_full IS NULL;
