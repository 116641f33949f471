-- segment membership_delta_everyone_unchanged
CREATE OR REPLACE TEMPORARY TABLE unicx_seg_delta AS
WITH fresh AS MATERIALIZED (
  WITH did_product_added_in_7d_not_followed_by_order_completed AS (
    SELECT
      e.profile_id
    FROM event_profiles AS e
    WHERE
      NOT e.profile_id IS NULL
      AND e.event = $p1
      AND e.timestamp >= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p2)
      AND e.timestamp <= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p4)
      AND NOT EXISTS(
        SELECT
          1
        FROM event_profiles AS f
        WHERE
          f.profile_id = e.profile_id
          AND f.event = $p5
          AND f.timestamp >= e.timestamp
          AND f.timestamp <= e.timestamp + TO_SECONDS($p4)
      )
    GROUP BY
      e.profile_id
    HAVING
      COUNT(*) >= $p7
  )
  SELECT
    profile_id
  FROM profiles
  WHERE
    (
      profile_id IN (
        SELECT
          profile_id
        FROM did_product_added_in_7d_not_followed_by_order_completed
      )
    )
)
SELECT
  profile_id,
  'entered' AS change
FROM fresh
WHERE
  NOT profile_id IN (
    SELECT
      profile_id
    FROM segment_members
    WHERE
      segment_id = $sid
  )
UNION ALL
SELECT
  profile_id,
  'exited'
FROM segment_members
WHERE
  segment_id = $sid AND NOT profile_id IN (
    SELECT
      profile_id
    FROM fresh
  );

SELECT
  COUNT(*) FILTER(WHERE
    change = 'entered'),
  COUNT(*) FILTER(WHERE
    change = 'exited'),
  (
    SELECT
      [entered, exited]
    FROM segment_sizes
    WHERE
      segment_id = $sid AND day = $day
  )
FROM unicx_seg_delta;
