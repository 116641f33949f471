-- privacy export consents
SELECT
  *
FROM consents
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  purpose;
