-- matching records_of_match_raw
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
  FROM match_raw
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
