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

# Migration 10: the data cut-off of a run trained "as of" a past date (NULL: the training time).
PREDICT_AS_OF_SQL = """
ALTER TABLE models ADD COLUMN as_of TIMESTAMPTZ;
"""
