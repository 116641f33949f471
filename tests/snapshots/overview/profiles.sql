-- overview profiles
WITH identified AS (
  SELECT
    profile_id,
    MIN(first_seen) AS since
  FROM identities
  WHERE
    id_type IN ('user_id', 'email')
  GROUP BY
    profile_id
), marks AS (
  SELECT
    created_at AS happened,
    1 AS new_profiles,
    0 AS identified
  FROM profiles
  UNION ALL
  SELECT
    i.since,
    0,
    1
  FROM identified AS i
  JOIN profiles AS p
    USING (profile_id)
)
SELECT
  CASE WHEN happened >= $previous THEN CAST(TIMEZONE($tz, happened) AS DATE) END AS day,
  SUM(new_profiles) AS new_profiles,
  SUM(identified) AS identified
FROM marks
WHERE
  happened < $end
GROUP BY ALL;
