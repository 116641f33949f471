-- privacy export profile_search
SELECT
  *
FROM profile_search
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  );
