-- ad audience remove count
SELECT
  COUNT(*)
FROM (
  SELECT
    key_type,
    hashed
  FROM audience_sync_members AS m
  WHERE
    m.sync_id = $sync
    AND NOT EXISTS(
      SELECT
        1
      FROM aud_current AS c
      WHERE
        c.key_type = m.key_type AND c.hashed = m.hashed
    )
);
