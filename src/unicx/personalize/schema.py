"""Tables of the personalize domain (migration 6).

- ``offers``: offers and content blocks (versioned in place: ``version`` grows with each change,
  so compiled eligibility SQL is cached per version).
- ``placements``: per-placement policy settings (exploration rate, holdout share, reward).
- ``sensitive_traits``: traits an admin marked sensitive (or explicitly not sensitive).
- ``decisions``: the decision log (one row per answer of ``/decide``) with the policy's
  propensity and the outcomes seen so far, for offline evaluation (inverse propensity scoring).
- ``offer_stats``: decision and success counts per (placement, offer, context bucket), kept
  current incrementally so a decision reads a handful of rows instead of the whole log.
- ``personalize_state``: the outcome watermark (events received up to it are counted).
"""

from __future__ import annotations

PERSONALIZE_SQL = """
CREATE TABLE offers (
    offer_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    placement VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    eligibility JSON,
    template VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    description VARCHAR NOT NULL DEFAULT '',
    priority INTEGER NOT NULL DEFAULT 0,
    weight DOUBLE NOT NULL DEFAULT 1.0,
    locale VARCHAR NOT NULL DEFAULT 'vi',
    is_default BOOLEAN NOT NULL DEFAULT false,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE placements (
    placement VARCHAR PRIMARY KEY,
    epsilon DOUBLE NOT NULL,
    holdout_percent DOUBLE NOT NULL,
    reward VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE sensitive_traits (
    name VARCHAR PRIMARY KEY,
    sensitive BOOLEAN NOT NULL,
    category VARCHAR NOT NULL,
    reason VARCHAR NOT NULL DEFAULT '',
    marked_by VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE decisions (
    decision_id VARCHAR PRIMARY KEY,
    profile_id VARCHAR NOT NULL,
    placement VARCHAR NOT NULL,
    offer_id VARCHAR,
    context JSON NOT NULL,
    bucket VARCHAR NOT NULL,
    propensity DOUBLE NOT NULL,
    holdout BOOLEAN NOT NULL,
    reason VARCHAR NOT NULL,
    state_version BIGINT NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    viewed BOOLEAN NOT NULL DEFAULT false,
    clicked BOOLEAN NOT NULL DEFAULT false,
    converted BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE offer_stats (
    placement VARCHAR NOT NULL,
    offer_id VARCHAR NOT NULL,
    bucket VARCHAR NOT NULL,
    trials BIGINT NOT NULL,
    clicks BIGINT NOT NULL,
    conversions BIGINT NOT NULL,
    PRIMARY KEY (placement, offer_id, bucket)
);
CREATE TABLE personalize_state (
    key VARCHAR PRIMARY KEY,
    watermark TIMESTAMPTZ,
    counter BIGINT NOT NULL
);
"""
