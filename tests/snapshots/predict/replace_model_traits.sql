-- models replace_model_traits
DELETE FROM model_traits
WHERE
  model = ?;

INSERT INTO model_traits (
  profile_id,
  name,
  value,
  model,
  model_version,
  computed_at
)
SELECT
  profile_id,
  ?,
  TO_JSON(churn_risk),
  ?,
  ?,
  ?
FROM _model_traits_new
WHERE
  NOT churn_risk IS NULL;

INSERT INTO model_traits (
  profile_id,
  name,
  value,
  model,
  model_version,
  computed_at
)
SELECT
  profile_id,
  ?,
  TO_JSON(churn_band),
  ?,
  ?,
  ?
FROM _model_traits_new
WHERE
  NOT churn_band IS NULL;
