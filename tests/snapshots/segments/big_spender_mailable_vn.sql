-- segment big_spender_mailable_vn
-- $now = null
-- $p1 = "Order Completed"
-- $p2 = 7776000
-- $p3 = 7776000
-- $p4 = "$.\"revenue\""
-- $p5 = 5000000.0
-- $p6 = "email"
-- $p7 = ["VN"]
-- $p8 = "plan"
-- $p9 = "free"
WITH did_order_completed_in_90d_sum_revenue_gte_5000000 AS (
  SELECT
    e.profile_id
  FROM event_profiles AS e
  WHERE
    NOT e.profile_id IS NULL
    AND e.event = $p1
    AND e.timestamp >= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p2)
  GROUP BY
    e.profile_id
  HAVING
    COALESCE(SUM(TRY_CAST(e.properties ->> $p4 AS DOUBLE)), 0) >= $p5
), consent_email_granted AS (
  SELECT
    profile_id
  FROM consents
  WHERE
    purpose = $p6 AND granted
), country_in_vn AS (
  SELECT
    profile_id
  FROM (
    SELECT
      e.profile_id,
      ARG_MAX(e.country, e.timestamp) AS v
    FROM event_profiles AS e
    WHERE
      NOT e.profile_id IS NULL AND NOT e.country IS NULL
    GROUP BY
      e.profile_id
  )
  WHERE
    ARRAY_CONTAINS($p7, v)
), plan_is_free AS (
  SELECT
    profile_id
  FROM profile_traits
  WHERE
    name = $p8 AND (
      value ->> '$'
    ) = $p9
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
        FROM did_order_completed_in_90d_sum_revenue_gte_5000000
      )
      AND profile_id IN (
        SELECT
          profile_id
        FROM consent_email_granted
      )
      AND profile_id IN (
        SELECT
          profile_id
        FROM country_in_vn
      )
      AND NOT (
        profile_id IN (
          SELECT
            profile_id
          FROM plan_is_free
        )
      )
    )
  );

-- edge 1: who may change between $prev and $now
SELECT DISTINCT
  e.profile_id
FROM event_profiles AS e
WHERE
  NOT e.profile_id IS NULL
  AND e.event = $p1
  AND e.timestamp >= CAST($prev AS TIMESTAMPTZ) - TO_SECONDS($p3)
  AND e.timestamp < CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p3);
