"""Tables of the segments domain (migration 3), and the traits models write into them."""

from __future__ import annotations

from typing import Literal

# Segments (issue 4). Membership is materialized in segment_members and every change is appended
# to segment_changes, whose change_id is the cursor journeys and destinations read from.
# model_traits holds traits written by models (personas now, predictions later), separate from
# computed_traits because a traits refresh rewrites that table from events.
SEGMENTS_SQL = """
CREATE SEQUENCE segment_change_seq START 1;
CREATE TABLE segments (
    segment_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    definition JSON NOT NULL,
    status VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    created_by VARCHAR,
    refreshed_at TIMESTAMPTZ,
    edges_checked_at TIMESTAMPTZ
);
CREATE TABLE segment_versions (
    segment_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    definition JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by VARCHAR
);
CREATE TABLE segment_members (
    segment_id VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE segment_changes (
    change_id BIGINT NOT NULL DEFAULT nextval('segment_change_seq'),
    segment_id VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    change VARCHAR NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    version INTEGER NOT NULL,
    reason VARCHAR NOT NULL
);
CREATE TABLE segment_sizes (
    segment_id VARCHAR NOT NULL,
    day DATE NOT NULL,
    size BIGINT NOT NULL,
    entered BIGINT NOT NULL,
    exited BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE model_traits (
    profile_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    value JSON,
    model VARCHAR NOT NULL,
    model_version VARCHAR NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL
);
"""

# The traits models write, with their segment-language type: usable in definitions before the
# first run (docs/predict.md lists them). Here rather than in predict, which sits above segments:
# the segment vocabulary offers them and predict writes them into model_traits above.
MODEL_OUTPUTS: dict[str, Literal["number", "string"]] = {
    "predicted_purchases_30d": "number",
    "predicted_purchases_90d": "number",
    "predicted_purchases_365d": "number",
    "probability_alive": "number",
    "expected_spend": "number",
    "clv": "number",
    "churn_risk": "number",
    "churn_band": "string",
}
