-- privacy export match_reviews
SELECT
  *
FROM match_reviews
WHERE
  profile_a IN (
    SELECT
      profile_id
    FROM px_profile
  )
  OR profile_b IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  created_at;
