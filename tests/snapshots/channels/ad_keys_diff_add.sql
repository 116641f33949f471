-- ad audience add keys
SELECT
  key_type,
  hashed
FROM aud_current AS c
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM audience_sync_members AS m
    WHERE
      m.sync_id = $sync AND m.key_type = c.key_type AND m.hashed = c.hashed
  )
ORDER BY
  key_type,
  hashed;
