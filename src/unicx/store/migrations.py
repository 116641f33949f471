"""Versioned schema migrations, applied in order inside one transaction each.

A migration is never edited once released: change the schema by appending a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from unicx.channels.person_token import create_secret as create_person_secret
from unicx.channels.schema import CHANNELS_SQL, SCRUB_ANSWERS_SQL
from unicx.journeys.schema import JOURNEYS_SQL
from unicx.personalize.schema import PERSONALIZE_SQL
from unicx.predict.schema import PREDICT_AS_OF_SQL, PREDICT_SQL
from unicx.privacy.keyed import migrate_keyed_tombstones
from unicx.recommend.schema import CATALOG_SOURCES_SQL, RECOMMEND_SQL
from unicx.store.store import Session, Store

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    # Work SQL alone cannot do (a secret from the OS's random source), in the same transaction.
    then: Callable[[Session], None] | None = None


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sources_keys_events",
        """
        CREATE TABLE workspace_meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL
        );
        CREATE TABLE sources (
            source_id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            revoked_at TIMESTAMPTZ
        );
        CREATE TABLE write_keys (
            key_id VARCHAR PRIMARY KEY,
            source_id VARCHAR NOT NULL,
            write_key VARCHAR NOT NULL UNIQUE,
            created_at TIMESTAMPTZ NOT NULL,
            revoked_at TIMESTAMPTZ
        );
        CREATE TABLE api_keys (
            key_id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            prefix VARCHAR NOT NULL,
            key_hash VARCHAR NOT NULL UNIQUE,
            created_at TIMESTAMPTZ NOT NULL,
            revoked_at TIMESTAMPTZ
        );
        CREATE TABLE events (
            event_key UHUGEINT NOT NULL PRIMARY KEY,
            source_id VARCHAR NOT NULL,
            message_id VARCHAR NOT NULL,
            type VARCHAR NOT NULL,
            event VARCHAR,
            name VARCHAR,
            category VARCHAR,
            channel VARCHAR,
            user_id VARCHAR,
            anonymous_id VARCHAR,
            group_id VARCHAR,
            previous_id VARCHAR,
            timestamp TIMESTAMPTZ NOT NULL,
            original_timestamp TIMESTAMPTZ,
            sent_at TIMESTAMPTZ,
            received_at TIMESTAMPTZ NOT NULL,
            traits JSON,
            properties JSON,
            context JSON,
            integrations JSON,
            ip VARCHAR,
            locale VARCHAR,
            timezone VARCHAR,
            local_hour TINYINT,
            local_weekday TINYINT,
            user_agent VARCHAR,
            device_type VARCHAR,
            os_name VARCHAR,
            os_version VARCHAR,
            browser_name VARCHAR,
            browser_version VARCHAR,
            page_url VARCHAR,
            page_path VARCHAR,
            page_referrer VARCHAR,
            utm_source VARCHAR,
            utm_medium VARCHAR,
            utm_campaign VARCHAR,
            utm_term VARCHAR,
            utm_content VARCHAR,
            country VARCHAR,
            city VARCHAR,
            library_name VARCHAR,
            library_version VARCHAR
        );
        """,
    ),
    Migration(2, "single_customer_view", SINGLE_CUSTOMER_VIEW_SQL),
    Migration(3, "segments", SEGMENTS_SQL),
    Migration(4, "predict", PREDICT_SQL),
    Migration(5, "recommend", RECOMMEND_SQL),
    Migration(6, "personalize", PERSONALIZE_SQL),
    Migration(7, "journeys_channels", JOURNEYS_SQL + CHANNELS_SQL),
    Migration(8, "keyed_tombstones", "", then=migrate_keyed_tombstones),
    Migration(9, "person_token_secret", "", then=create_person_secret),
    Migration(10, "train_as_of_catalog_sources", PREDICT_AS_OF_SQL + CATALOG_SOURCES_SQL),
    Migration(11, "scrub_provider_answers", SCRUB_ANSWERS_SQL),
)

CREATE_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def current_version(store: Store) -> int:
    with store.session() as s:
        s.execute(CREATE_VERSION_TABLE, step="migrations.ensure_table")
        row = s.fetchone(
            "SELECT coalesce(max(version), 0) FROM schema_migrations", step="migrations.version"
        )
    return int(row[0]) if row else 0


def _recorded(store: Store) -> set[int]:
    with store.session() as s:
        s.execute(CREATE_VERSION_TABLE, step="migrations.ensure_table")
        rows = s.fetchall("SELECT version FROM schema_migrations", step="migrations.recorded")
    return {int(r[0]) for r in rows}


def migrate(store: Store, *, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply every migration the database has not recorded, in order; returns their versions.
    Not only those above the highest: numbers are handed out to parallel work and may be
    merged out of order (a workspace at 11 still gets a 9 merged after it)."""
    applied: list[int] = []
    have = _recorded(store)
    for m in migrations:
        if m.version in have:
            continue
        with store.session() as s, s.transaction():
            if m.sql:
                s.execute(m.sql, step=f"migration.{m.version}.{m.name}")
            if m.then is not None:
                m.then(s)
            s.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [m.version, m.name],
                step="migrations.record",
            )
        log.info("applied migration %s %s", m.version, m.name)
        applied.append(m.version)
    return applied
