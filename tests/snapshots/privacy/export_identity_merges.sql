-- privacy export identity_merges
SELECT
  *
FROM identity_merges
WHERE
  winner_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
  OR loser_id IN (
    SELECT
      profile_id
    FROM px_profile
  )
  OR merge_id IN (
    SELECT
      m.merge_id
    FROM identity_merges AS m
    JOIN UNNEST(CAST(m.moved AS JSON[])) AS u(x)
      ON TRUE
    JOIN px_ids AS p
      ON p.id_type = (
        x ->> '$.type'
      ) AND p.id_value = (
        x ->> '$.value'
      )
  )
ORDER BY
  created_at;
