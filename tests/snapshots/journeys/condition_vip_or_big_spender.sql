-- journeys condition_vip_or_big_spender
WITH in_segment_vip AS (
  SELECT
    profile_id
  FROM segment_members
  WHERE
    segment_id = $p1
    AND profile_id IN (
      SELECT
        profile_id
      FROM unicx_trait_targets
    )
), revenue_gte_1000000 AS (
  SELECT
    profile_id
  FROM unicx_seg_computed_traits
  WHERE
    name = $p2
    AND TRY_CAST(value ->> '$' AS DOUBLE) >= $p3
    AND profile_id IN (
      SELECT
        profile_id
      FROM unicx_trait_targets
    )
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    (
      profile_id IN (
        SELECT
          profile_id
        FROM in_segment_vip
      )
      OR profile_id IN (
        SELECT
          profile_id
        FROM revenue_gte_1000000
      )
    )
  )
  AND profile_id IN (
    SELECT
      profile_id
    FROM unicx_trait_targets
  );
