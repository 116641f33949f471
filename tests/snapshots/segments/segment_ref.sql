-- segment segment_ref
-- $now = null
-- $p1 = "seg_vip"
WITH in_segment_vip AS (
  SELECT
    profile_id
  FROM segment_members
  WHERE
    segment_id = $p1
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    profile_id IN (
      SELECT
        profile_id
      FROM in_segment_vip
    )
  );
