-- matching best_per_pair
SELECT
  *,
  (
    (
      gamma_phone IN (1, 2)
    )
    OR (
      gamma_email IN (1, 2, 3)
    )
    OR (
      gamma_dob IN (3, 4) AND gamma_address IN (3, 4)
    )
  ) AS strong
FROM (
  SELECT
    LEAST(unique_id_l, unique_id_r) AS id_l,
    GREATEST(unique_id_l, unique_id_r) AS id_r,
    MAX(match_probability) AS probability,
    MAX(match_weight) AS match_weight,
    ARG_MAX(gamma_name, match_probability) AS gamma_name,
    ARG_MAX(gamma_dob, match_probability) AS gamma_dob,
    ARG_MAX(gamma_phone, match_probability) AS gamma_phone,
    ARG_MAX(gamma_email, match_probability) AS gamma_email,
    ARG_MAX(gamma_address, match_probability) AS gamma_address,
    ARG_MAX(gamma_city, match_probability) AS gamma_city
  FROM predicted_pairs
  WHERE
    unique_id_l <> unique_id_r
  GROUP BY
    1,
    2
);
