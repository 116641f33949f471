-- ad audience full keys
SELECT
  key_type,
  hashed
FROM aud_current
ORDER BY
  key_type,
  hashed;
