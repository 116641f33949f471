-- matching strong_signal
SELECT
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
FROM predicted_pairs;
