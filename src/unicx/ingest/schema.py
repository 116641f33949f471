"""Column order and Arrow types of a stored event row.

Validation builds each event as a plain tuple in this order; the writer transposes a flush's
tuples into Arrow columns in one step, so no per-event work happens on the way to DuckDB.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

_TS = pa.timestamp("us", tz="UTC")

EVENT_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("source_id", pa.string()),
    ("message_id", pa.string()),
    ("type", pa.string()),
    ("event", pa.string()),
    ("name", pa.string()),
    ("category", pa.string()),
    ("channel", pa.string()),
    ("user_id", pa.string()),
    ("anonymous_id", pa.string()),
    ("group_id", pa.string()),
    ("previous_id", pa.string()),
    ("timestamp", _TS),
    ("original_timestamp", _TS),
    ("sent_at", _TS),
    ("received_at", _TS),
    ("traits", pa.string()),
    ("properties", pa.string()),
    ("context", pa.string()),
    ("integrations", pa.string()),
    ("ip", pa.string()),
    ("locale", pa.string()),
    ("timezone", pa.string()),
    ("local_hour", pa.int8()),
    ("local_weekday", pa.int8()),
    ("user_agent", pa.string()),
    ("device_type", pa.string()),
    ("os_name", pa.string()),
    ("os_version", pa.string()),
    ("browser_name", pa.string()),
    ("browser_version", pa.string()),
    ("page_url", pa.string()),
    ("page_path", pa.string()),
    ("page_referrer", pa.string()),
    ("utm_source", pa.string()),
    ("utm_medium", pa.string()),
    ("utm_campaign", pa.string()),
    ("utm_term", pa.string()),
    ("utm_content", pa.string()),
    ("country", pa.string()),
    ("city", pa.string()),
    ("library_name", pa.string()),
    ("library_version", pa.string()),
)

COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _ in EVENT_COLUMNS)
# The primary key is a 128-bit hash of (source_id, message_id): DuckDB's index on one fixed-size
# integer costs a fraction of one on two strings (bench/RESULTS.md), and at 2^-128 per pair a
# collision is not a practical concern. Arrow has no 128-bit integer, so it travels as two
# halves that the INSERT joins.
KEY_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("key_hi", pa.uint64()),
    ("key_lo", pa.uint64()),
)
ARROW_SCHEMA = pa.schema([pa.field(name, typ) for name, typ in EVENT_COLUMNS + KEY_COLUMNS])
EVENT_KEY_SQL = "(key_hi::UHUGEINT << 64) | key_lo::UHUGEINT"
SOURCE_ID_INDEX = 0
MESSAGE_ID_INDEX = 1

EventRow = tuple[object, ...]


def event_key(source_id: str, message_id: str) -> tuple[int, int]:
    """The two 64-bit halves of the 128-bit key of (source_id, message_id)."""
    digest = hashlib.blake2b(f"{source_id}\0{message_id}".encode(), digest_size=16).digest()
    return int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little")


def rows_to_arrow(rows: list[EventRow]) -> pa.Table:
    """Transpose row tuples into one Arrow table (zip(*rows) runs in C), keys appended."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in EVENT_COLUMNS]
    arrays = [pa.array(col, type=typ) for col, (_, typ) in zip(columns, EVENT_COLUMNS, strict=True)]
    keys = [event_key(str(r[SOURCE_ID_INDEX]), str(r[MESSAGE_ID_INDEX])) for r in rows]
    halves = list(zip(*keys, strict=True)) if keys else [(), ()]
    arrays += [pa.array(h, type=pa.uint64()) for h in halves]
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


# Migration 1: the workspace's settings, its sources and keys (auth) and the events themselves.
# Kept as first released, indentation included: a migration's text never changes.
SOURCES_KEYS_EVENTS_SQL = """
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
        """
