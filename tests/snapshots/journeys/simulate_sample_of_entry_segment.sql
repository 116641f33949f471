-- journeys simulate_sample_of_entry_segment
SELECT
  profile_id
FROM (
  SELECT
    profile_id
  FROM segment_members
  WHERE
    segment_id = $sid
) USING SAMPLE RESERVOIR (500 ROWS);
