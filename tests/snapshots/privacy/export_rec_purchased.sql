-- privacy export rec_purchased
SELECT
  *
FROM rec_purchased
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
ORDER BY
  item_id;
