-- offers sync_outcomes_pass
SELECT
  watermark,
  counter
FROM personalize_state
WHERE
  key = 'outcomes';

CREATE OR REPLACE TEMPORARY TABLE unicx_offer_outcomes AS
SELECT
  d.decision_id,
  d.placement,
  d.offer_id,
  d.bucket,
  d.reason,
  o.viewed AND NOT d.viewed AS new_view,
  o.clicked AND NOT d.clicked AS new_click,
  o.converted AND NOT d.converted AS new_conversion
FROM (
  SELECT
    properties ->> '$.decision_id' AS decision_id,
    BOOL_OR(CAST(event = 'Offer Viewed' AS BOOLEAN)) AS viewed,
    BOOL_OR(CAST(event = 'Offer Clicked' AS BOOLEAN)) AS clicked,
    BOOL_OR(CAST(event IN ('Offer Converted', 'Order Completed') AS BOOLEAN)) AS converted
  FROM events
  WHERE
    received_at > $since
    AND received_at <= $upto
    AND type = 'track'
    AND ARRAY_CONTAINS($names, event)
    AND NOT (
      properties ->> '$.decision_id'
    ) IS NULL
  GROUP BY
    1
) AS o
JOIN decisions AS d
  USING (decision_id);

SELECT
  COUNT(*) FILTER(WHERE
    new_view OR new_click OR new_conversion)
FROM unicx_offer_outcomes;

UPDATE decisions SET viewed = decisions.viewed OR n.new_view, clicked = decisions.clicked OR n.new_click, converted = decisions.converted OR n.new_conversion
FROM unicx_offer_outcomes AS n
WHERE
  decisions.decision_id = n.decision_id;

INSERT INTO offer_stats
SELECT
  placement,
  offer_id,
  b,
  0,
  SUM(CAST(new_click AS INT)),
  SUM(CAST(new_conversion AS INT))
FROM (
  SELECT
    *,
    bucket AS b
  FROM unicx_offer_outcomes
  UNION ALL
  SELECT
    *,
    '*' AS b
  FROM unicx_offer_outcomes
)
WHERE
  reason = 'policy' AND NOT offer_id IS NULL AND (
    new_click OR new_conversion
  )
GROUP BY ALL ON CONFLICT DO UPDATE SET clicks = offer_stats.clicks + excluded.clicks, conversions = offer_stats.conversions + excluded.conversions;

DROP TABLE IF EXISTS unicx_offer_outcomes;

INSERT OR REPLACE INTO personalize_state
VALUES
  ('outcomes', ?, ?);
