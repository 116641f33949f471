-- privacy person events
CREATE OR REPLACE TEMPORARY TABLE px_events AS
SELECT
  event_key
FROM events
WHERE
  user_id IN (
    SELECT
      id_value
    FROM px_ids
    WHERE
      id_type = 'user_id'
  )
  OR anonymous_id IN (
    SELECT
      id_value
    FROM px_ids
    WHERE
      id_type = 'anonymous_id'
  )
  OR previous_id IN (
    SELECT
      id_value
    FROM px_ids
    WHERE
      id_type IN ('anonymous_id', 'user_id')
  )
  OR (
    (
      (
        traits ->> '$.email'
      ) IN (
        SELECT
          raw
        FROM px_contact
      )
      OR (
        context ->> '$.traits.email'
      ) IN (
        SELECT
          raw
        FROM px_contact
      )
      OR (
        traits ->> '$.phone'
      ) IN (
        SELECT
          raw
        FROM px_contact
      )
      OR (
        context ->> '$.traits.phone'
      ) IN (
        SELECT
          raw
        FROM px_contact
      )
    )
    AND NOT EXISTS(
      SELECT
        1
      FROM identities AS o
      WHERE
        NOT o.profile_id IN (
          SELECT
            profile_id
          FROM px_profile
        )
        AND (
          (
            o.id_type = 'user_id' AND o.id_value = events.user_id
          )
          OR (
            o.id_type = 'anonymous_id' AND o.id_value = events.anonymous_id
          )
        )
    )
  );
