-- ad audience keys meta_custom_audience
SELECT
  MIN(profile_id) AS profile_id,
  key_type,
  hashed
FROM (
  SELECT
    m.profile_id,
    i.id_type AS key_type,
    SHA256(CASE WHEN i.id_type = 'phone' THEN LTRIM(i.id_value, '+') ELSE i.id_value END) AS hashed
  FROM segment_members AS m
  JOIN identities AS i
    ON i.profile_id = m.profile_id
  WHERE
    m.segment_id = $segment
    AND ARRAY_CONTAINS($types, i.id_type)
    AND NOT EXISTS(
      SELECT
        1
      FROM consents AS c
      WHERE
        c.profile_id = m.profile_id AND c.purpose = 'ads' AND NOT c.granted
    )
)
GROUP BY
  key_type,
  hashed;
