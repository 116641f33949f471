"""Tables of the recommend domain (migration 5)."""

from __future__ import annotations

# rec_candidates/rec_similar/rec_trending hold the active model's precomputed lists (replaced
# in one transaction per training run); rec_served logs every answer so clicks and orders can
# be attributed to it; rec_profiles holds each person's most seen country (cold start);
# rec_rules holds the workspace's business rules as one JSON document.
RECOMMEND_SQL = """
CREATE TABLE catalog_items (
    item_id VARCHAR PRIMARY KEY,
    name VARCHAR,
    category VARCHAR,
    price DOUBLE,
    available BOOLEAN NOT NULL DEFAULT true,
    image VARCHAR,
    url VARCHAR,
    launched_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE rec_candidates (
    profile_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    rank INTEGER NOT NULL
);
CREATE TABLE rec_purchased (
    profile_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL
);
CREATE TABLE rec_similar (
    item_id VARCHAR NOT NULL,
    other_id VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    rank INTEGER NOT NULL
);
CREATE TABLE rec_trending (
    scope VARCHAR NOT NULL,
    scope_value VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    rank INTEGER NOT NULL
);
CREATE TABLE rec_items (
    item_id VARCHAR PRIMARY KEY,
    category VARCHAR
);
CREATE TABLE rec_profiles (
    profile_id VARCHAR NOT NULL,
    country VARCHAR NOT NULL
);
CREATE TABLE rec_rules (
    key VARCHAR PRIMARY KEY,
    value JSON NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE rec_served (
    recommendation_id VARCHAR PRIMARY KEY,
    profile_id VARCHAR,
    placement VARCHAR NOT NULL,
    context VARCHAR NOT NULL,
    items JSON NOT NULL,
    model_version VARCHAR,
    personalized BOOLEAN NOT NULL,
    served_at TIMESTAMPTZ NOT NULL
);
"""

# Migration 10: where each catalog item comes from ('feed': the catalog API/import, which events
# never overwrite; 'events': filled from product and order events, catalog_events.py), its
# currency, and the time of the latest event that described it.
CATALOG_SOURCES_SQL = """
ALTER TABLE catalog_items ADD COLUMN source VARCHAR DEFAULT 'feed';
ALTER TABLE catalog_items ADD COLUMN currency VARCHAR;
ALTER TABLE catalog_items ADD COLUMN observed_at TIMESTAMPTZ;
"""
