"""Tables of the identity graph and the single customer view (migration 2).

One migration created the identity graph together with the tables the profiles, consent,
privacy and import domains keep per person; it stays one string so existing workspaces see the
same migration. Identity is the lowest of those domains, so it holds the text.
"""

from __future__ import annotations

# Identity graph, profiles, traits, consent, privacy and imports (issue 3). Identifiers are
# (id_type, id_value) with id_value already normalized; a profile is the set of identifiers
# pointing at it, and events reach their profile through user_id or anonymous_id, so a merge or
# an unmerge only rewrites identifier rows and never moves events.
SINGLE_CUSTOMER_VIEW_SQL = """
CREATE TABLE profiles (
    profile_id VARCHAR PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE identities (
    id_type VARCHAR NOT NULL,
    id_value VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id_type, id_value)
);
CREATE TABLE identity_links (
    a_type VARCHAR NOT NULL,
    a_value VARCHAR NOT NULL,
    b_type VARCHAR NOT NULL,
    b_value VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    score DOUBLE,
    created_at TIMESTAMPTZ NOT NULL,
    created_by VARCHAR
);
CREATE TABLE identity_blocks (
    a_type VARCHAR NOT NULL,
    a_value VARCHAR NOT NULL,
    b_type VARCHAR NOT NULL,
    b_value VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE identity_merges (
    merge_id VARCHAR PRIMARY KEY,
    winner_id VARCHAR NOT NULL,
    loser_id VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    evidence JSON,
    moved JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    undone_at TIMESTAMPTZ,
    undone_by VARCHAR
);
CREATE TABLE identity_conflicts (
    conflict_id VARCHAR PRIMARY KEY,
    id_type VARCHAR NOT NULL,
    id_value VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    other_profile_id VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    evidence JSON,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    occurrences BIGINT NOT NULL,
    status VARCHAR NOT NULL
);
CREATE TABLE match_reviews (
    pair_id VARCHAR PRIMARY KEY,
    profile_a VARCHAR NOT NULL,
    profile_b VARCHAR NOT NULL,
    probability DOUBLE NOT NULL,
    evidence JSON,
    status VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    decided_by VARCHAR
);
CREATE TABLE profile_traits (
    profile_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    value JSON,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE computed_traits (
    profile_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    value JSON,
    computed_at TIMESTAMPTZ NOT NULL
);
-- Typed, one row per profile: the built-in computed traits for segment and report SQL.
CREATE VIEW profile_computed AS
SELECT profile_id,
    max(CASE WHEN name = 'first_seen' THEN CAST(value->>'$' AS TIMESTAMPTZ) END) AS first_seen,
    max(CASE WHEN name = 'last_seen' THEN CAST(value->>'$' AS TIMESTAMPTZ) END) AS last_seen,
    max(CASE WHEN name = 'sessions' THEN CAST(value->>'$' AS BIGINT) END) AS sessions,
    max(CASE WHEN name = 'page_views' THEN CAST(value->>'$' AS BIGINT) END) AS page_views,
    max(CASE WHEN name = 'orders_count' THEN CAST(value->>'$' AS BIGINT) END) AS orders_count,
    max(CASE WHEN name = 'revenue' THEN CAST(value->>'$' AS DOUBLE) END) AS revenue,
    max(CASE WHEN name = 'average_order_value' THEN CAST(value->>'$' AS DOUBLE) END)
        AS average_order_value,
    max(CASE WHEN name = 'first_order_at' THEN CAST(value->>'$' AS TIMESTAMPTZ) END)
        AS first_order_at,
    max(CASE WHEN name = 'last_order_at' THEN CAST(value->>'$' AS TIMESTAMPTZ) END)
        AS last_order_at,
    max(CASE WHEN name = 'days_since_last_order' THEN CAST(value->>'$' AS BIGINT) END)
        AS days_since_last_order,
    max(CASE WHEN name = 'spend_30d' THEN CAST(value->>'$' AS DOUBLE) END) AS spend_30d,
    max(CASE WHEN name = 'spend_90d' THEN CAST(value->>'$' AS DOUBLE) END) AS spend_90d,
    max(CASE WHEN name = 'spend_365d' THEN CAST(value->>'$' AS DOUBLE) END) AS spend_365d,
    max(CASE WHEN name = 'rfm_recency_score' THEN CAST(value->>'$' AS TINYINT) END)
        AS rfm_recency_score,
    max(CASE WHEN name = 'rfm_frequency_score' THEN CAST(value->>'$' AS TINYINT) END)
        AS rfm_frequency_score,
    max(CASE WHEN name = 'rfm_monetary_score' THEN CAST(value->>'$' AS TINYINT) END)
        AS rfm_monetary_score,
    max(CASE WHEN name = 'rfm_score' THEN CAST(value->>'$' AS VARCHAR) END) AS rfm_score,
    max(CASE WHEN name = 'rfm_segment' THEN CAST(value->>'$' AS VARCHAR) END) AS rfm_segment,
    max(CASE WHEN name = 'favourite_category' THEN CAST(value->>'$' AS VARCHAR) END)
        AS favourite_category,
    max(CASE WHEN name = 'preferred_channel' THEN CAST(value->>'$' AS VARCHAR) END)
        AS preferred_channel,
    max(CASE WHEN name = 'preferred_device' THEN CAST(value->>'$' AS VARCHAR) END)
        AS preferred_device,
    max(CASE WHEN name = 'time_of_day' THEN CAST(value->>'$' AS VARCHAR) END) AS time_of_day
FROM computed_traits GROUP BY profile_id;
CREATE TABLE consents (
    profile_id VARCHAR NOT NULL,
    purpose VARCHAR NOT NULL,
    granted BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    source VARCHAR NOT NULL
);
CREATE TABLE tombstones (
    id_hash VARCHAR PRIMARY KEY,
    id_type VARCHAR NOT NULL,
    erased_at TIMESTAMPTZ NOT NULL,
    request_id VARCHAR NOT NULL
);
CREATE TABLE audit_log (
    audit_id VARCHAR PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    target VARCHAR,
    detail JSON
);
CREATE TABLE imports (
    import_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    file_format VARCHAR NOT NULL,
    encoding VARCHAR,
    mapping JSON,
    status VARCHAR NOT NULL,
    total_rows BIGINT NOT NULL DEFAULT 0,
    accepted BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    duplicates BIGINT NOT NULL DEFAULT 0,
    already_imported BIGINT NOT NULL DEFAULT 0,
    events_written BIGINT NOT NULL DEFAULT 0,
    rejects_path VARCHAR,
    created_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    actor VARCHAR,
    errors JSON,
    warnings JSON
);
CREATE VIEW event_profiles AS
SELECT e.*, coalesce(u.profile_id, a.profile_id) AS profile_id
FROM events e
LEFT JOIN identities u ON u.id_type = 'user_id' AND u.id_value = e.user_id
LEFT JOIN identities a ON a.id_type = 'anonymous_id' AND a.id_value = e.anonymous_id;
"""
