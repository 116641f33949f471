-- journeys condition_bought_since_7d_and_mailable
WITH did_order_completed_in_7d AS (
  SELECT
    e.profile_id
  FROM unicx_trait_events AS e
  WHERE
    NOT e.profile_id IS NULL
    AND e.event = $p1
    AND e.timestamp >= CAST($now AS TIMESTAMPTZ) - TO_SECONDS($p2)
  GROUP BY
    e.profile_id
  HAVING
    COUNT(*) >= $p4
), consent_email_granted AS (
  SELECT
    profile_id
  FROM unicx_seg_consents
  WHERE
    purpose = $p5
    AND granted
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
        FROM did_order_completed_in_7d
      )
      AND profile_id IN (
        SELECT
          profile_id
        FROM consent_email_granted
      )
    )
  )
  AND profile_id IN (
    SELECT
      profile_id
    FROM unicx_trait_targets
  );
