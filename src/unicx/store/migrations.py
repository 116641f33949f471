"""Versioned schema migrations, applied in order inside one transaction each.

A migration is never edited once released: change the schema by appending a new one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from unicx.store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


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


def migrate(store: Store, *, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply every migration newer than the database; returns the versions applied."""
    applied: list[int] = []
    have = current_version(store)
    for m in migrations:
        if m.version <= have:
            continue
        with store.session() as s, s.transaction():
            s.execute(m.sql, step=f"migration.{m.version}.{m.name}")
            s.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [m.version, m.name],
                step="migrations.record",
            )
        log.info("applied migration %s %s", m.version, m.name)
        applied.append(m.version)
    return applied
