"""Tables of the predict domain (migration 4)."""

from __future__ import annotations

# One row per training run of any model (CLV, churn, recommendations, ...). A run that fails
# its checks is recorded with status 'rejected' and leaves the previous active version serving.
PREDICT_SQL = """
CREATE TABLE models (
    model VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    trained_at TIMESTAMPTZ NOT NULL,
    rows BIGINT NOT NULL,
    params JSON,
    metrics JSON,
    message VARCHAR,
    PRIMARY KEY (model, version)
);
"""
