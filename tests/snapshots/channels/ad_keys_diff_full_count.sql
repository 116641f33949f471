-- ad audience full count
SELECT
  COUNT(*)
FROM (
  SELECT
    key_type,
    hashed
  FROM aud_current
);
