-- privacy export profiles
SELECT
  *
FROM profiles
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  );
