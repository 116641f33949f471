-- segment evaluation_over_touched_profiles
SELECT
  i.id_value
FROM identities AS i
JOIN unicx_trait_targets AS t
  USING (profile_id)
WHERE
  i.id_type = ?;

SELECT
  i.id_value
FROM identities AS i
JOIN unicx_trait_targets AS t
  USING (profile_id)
WHERE
  i.id_type = ?;

CREATE OR REPLACE TEMPORARY TABLE unicx_trait_events AS
WITH picked AS (
  SELECT
    *
  FROM events
  WHERE
    rowid IN (
      SELECT
        rowid
      FROM events
      WHERE
        user_id IN (
          SELECT
            id_value
          FROM unicx_trait_user_ids
        )
      UNION
      SELECT
        rowid
      FROM events
      WHERE
        anonymous_id IN (
          SELECT
            id_value
          FROM unicx_trait_anon_ids
        )
    )
), resolved AS (
  SELECT
    e.*,
    COALESCE(u.profile_id, a.profile_id) AS profile_id
  FROM picked AS e
  LEFT JOIN identities AS u
    ON u.id_type = 'user_id' AND u.id_value = e.user_id
  LEFT JOIN identities AS a
    ON a.id_type = 'anonymous_id' AND a.id_value = e.anonymous_id
)
SELECT
  *
FROM resolved
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM unicx_trait_targets
  );

CREATE OR REPLACE TEMPORARY TABLE unicx_seg_computed_traits AS
SELECT
  *
FROM computed_traits
WHERE
  ARRAY_CONTAINS($names, name)
  AND profile_id IN (
    SELECT
      profile_id
    FROM unicx_trait_targets
  );

CREATE OR REPLACE TEMPORARY TABLE unicx_seg_model_traits AS
SELECT
  *
FROM model_traits
WHERE
  ARRAY_CONTAINS($names, name)
  AND profile_id IN (
    SELECT
      profile_id
    FROM unicx_trait_targets
  );

CREATE OR REPLACE TEMPORARY TABLE unicx_seg_profile_traits AS
SELECT
  *
FROM profile_traits
WHERE
  ARRAY_CONTAINS($names, name)
  AND profile_id IN (
    SELECT
      profile_id
    FROM unicx_trait_targets
  );

CREATE OR REPLACE TEMPORARY TABLE unicx_seg_consents AS
SELECT
  *
FROM consents
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM unicx_trait_targets
  );

CREATE OR REPLACE TEMPORARY TABLE unicx_seg_identities AS
SELECT
  *
FROM identities
WHERE
  profile_id IN (
    SELECT
      profile_id
    FROM unicx_trait_targets
  );

CREATE OR REPLACE TEMPORARY TABLE unicx_seg_new AS
WITH churn_risk_gte_0_7 AS (
  SELECT
    profile_id
  FROM unicx_seg_model_traits
  WHERE
    name = $p1
    AND TRY_CAST((
      value ->> '$'
    ) AS DOUBLE) >= $p2
    AND profile_id IN (
      SELECT
        profile_id
      FROM unicx_trait_targets
    )
), first_seen_within_last_7d AS (
  SELECT
    profile_id
  FROM unicx_seg_computed_traits
  WHERE
    name = $p3
    AND TRY_CAST(value ->> '$' AS TIMESTAMPTZ) >= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p4)
    AND profile_id IN (
      SELECT
        profile_id
      FROM unicx_trait_targets
    )
), revenue_top_percent_10 AS (
  SELECT
    profile_id
  FROM unicx_seg_computed_traits
  WHERE
    name = $p6
    AND TRY_CAST(value ->> '$' AS DOUBLE) >= (
      SELECT
        QUANTILE_CONT(TRY_CAST(value ->> '$' AS DOUBLE), $p7)
      FROM computed_traits
      WHERE
        name = $p6
    )
    AND TRY_CAST(value ->> '$' AS DOUBLE) > (
      SELECT
        MIN(TRY_CAST(value ->> '$' AS DOUBLE))
      FROM computed_traits
      WHERE
        name = $p6
    )
    AND profile_id IN (
      SELECT
        profile_id
      FROM unicx_trait_targets
    )
)
SELECT
  profile_id
FROM profiles
WHERE
  (
    (
      profile_id IN (
        SELECT
          profile_id
        FROM churn_risk_gte_0_7
      )
      OR profile_id IN (
        SELECT
          profile_id
        FROM first_seen_within_last_7d
      )
      OR profile_id IN (
        SELECT
          profile_id
        FROM revenue_top_percent_10
      )
    )
  )
  AND profile_id IN (
    SELECT
      profile_id
    FROM unicx_trait_targets
  );

DROP TABLE IF EXISTS unicx_seg_computed_traits;

DROP TABLE IF EXISTS unicx_seg_model_traits;

DROP TABLE IF EXISTS unicx_seg_profile_traits;

DROP TABLE IF EXISTS unicx_seg_consents;

DROP TABLE IF EXISTS unicx_seg_identities;

DROP TABLE IF EXISTS unicx_trait_events;
