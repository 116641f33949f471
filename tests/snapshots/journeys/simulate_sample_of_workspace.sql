-- journeys simulate_sample_of_workspace
SELECT
  profile_id
FROM (
  SELECT
    profile_id
  FROM profiles
) USING SAMPLE RESERVOIR (1000 ROWS);
